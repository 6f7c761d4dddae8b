"""Validate a department's CSV/XLSX against the Frictionless Table Schema it declares.

The file is read within :mod:`tinhso.core.limits` (through :func:`tinhso.core.tabular.read_table`); the
header must name the schema's fields in order; every cell is cast to its field's type (``string``,
``integer``, ``number``, ``boolean``, ``date``, ``year``, ``yearmonth``; ``format`` for string: email,
uri, uuid, binary; for date: any or a strptime pattern) and checked against its constraints
(``required``, ``unique``, ``enum``, ``minimum``, ``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``,
``minLength``, ``maxLength``, ``pattern``); the schema's ``missingValues`` and ``primaryKey`` are honoured.
A key the validator does not enforce (``foreignKeys``, ``trueValues``, ``jsonSchema``…) is refused, never
silently ignored. Every bad row is named (row, column, reason) and nothing is published unless every row
is good."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import re
import uuid
from urllib.parse import urlsplit

from tinhso.core import limits, tabular
from tinhso.core.errors import UserError
from tinhso.core.text import fold, nfc
from tinhso.opendata.writers import Field, Table

TYPES = ("string", "integer", "number", "boolean", "date", "year", "yearmonth")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_YEARMONTH = re.compile(r"^(\d{4})-(\d{2})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TRUE, FALSE = {"true", "1", "yes", "có", "x"}, {"false", "0", "no", "không"}
MAX_ERRORS = 1000


def _schema_error(reason_vi: str, reason_en: str) -> UserError:
    return UserError("bad_table_schema", f"Table Schema không hợp lệ: {reason_vi}", f"Invalid Table Schema: {reason_en}",
                     field="table_schema")


SCHEMA_KEYS = {"fields", "missingValues", "primaryKey", "title", "description", "name", "$schema"}
FIELD_KEYS = {"name", "type", "format", "title", "description", "constraints", "example", "rdfType"}
CONSTRAINT_KEYS = {"required", "unique", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                   "minLength", "maxLength", "enum", "pattern"}
STRING_FORMATS = ("default", "email", "uri", "uuid", "binary")
ORDERED = ("integer", "number", "date", "year", "yearmonth")
PATTERN_MAX = 200
# A quantified group holding a quantifier ("(a+)+", "(a|aa)*"): catastrophic backtracking in Python's re.
_NESTED = re.compile(r"\((?:[^()\\]|\\.)*(?:[+*]|\{\d*,?\d*\})(?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d*,\d*\})")


def _unknown(keys, allowed: set, where_vi: str, where_en: str) -> None:
    extra = sorted(str(k) for k in keys if k not in allowed)
    if extra:
        raise _schema_error(f"{where_vi}: khoá {', '.join(extra)} không được hỗ trợ (dùng: {', '.join(sorted(allowed))})",
                            f"{where_en}: key {', '.join(extra)} not supported (use: {', '.join(sorted(allowed))})")


def parse_schema(raw) -> dict:
    """The declared schema as ``{"fields", "missing", "primary_key"}``; every key the validator does not
    enforce is refused (no constraint is silently ignored)."""
    schema = limits.load_json(raw, "Table Schema", field="table_schema") if isinstance(raw, (str, bytes)) else raw
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list) or not schema["fields"]:
        raise _schema_error("cần đối tượng có danh sách 'fields'", "an object with a non-empty 'fields' list is needed")
    _unknown(schema, SCHEMA_KEYS, "lược đồ", "schema")
    missing = schema.get("missingValues", [""])
    if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
        raise _schema_error("missingValues phải là danh sách chuỗi", "missingValues must be a list of strings")
    fields, seen = [], set()
    for i, f in enumerate(schema["fields"], 1):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str) or not _NAME.match(f["name"]):
            raise _schema_error(f"trường {i}: tên phải là chữ cái, số, gạch dưới",
                                f"field {i}: a name of letters, digits and underscores is needed")
        name = f["name"]
        if name in seen:
            raise _schema_error(f"trường {name!r} lặp lại", f"field {name!r} repeats")
        seen.add(name)
        _unknown(f, FIELD_KEYS, f"trường {name!r}", f"field {name!r}")
        kind = f.get("type", "string")
        if not isinstance(kind, str) or kind not in TYPES:
            raise _schema_error(f"trường {name!r}: kiểu {kind!r} không hỗ trợ ({', '.join(TYPES)})",
                                f"field {name!r}: type {kind!r} not supported ({', '.join(TYPES)})")
        fmt = _format(name, kind, f.get("format", "default"))
        constraints = f.get("constraints", {})
        if not isinstance(constraints, dict):
            raise _schema_error(f"trường {name!r}: constraints phải là đối tượng",
                                f"field {name!r}: constraints must be an object")
        _unknown(constraints, CONSTRAINT_KEYS, f"trường {name!r}, constraints", f"field {name!r}, constraints")
        fields.append({"name": name, "type": kind, "format": fmt, "title": str(f.get("title", "")),
                       "description": str(f.get("description", "")),
                       "constraints": _constraints(name, kind, fmt, constraints)})
    key = schema.get("primaryKey", [])
    key = [key] if isinstance(key, str) else key
    if not isinstance(key, list) or not all(isinstance(k, str) and k in seen for k in key) or len(set(key)) != len(key):
        raise _schema_error("primaryKey phải là tên trường hoặc danh sách tên trường",
                            "primaryKey must be a field name or a list of field names")
    return {"fields": fields, "missing": {m for m in missing}, "primary_key": key}


def _format(name: str, kind: str, fmt) -> str:
    if not isinstance(fmt, str):
        raise _schema_error(f"trường {name!r}: format phải là chuỗi", f"field {name!r}: format must be a string")
    allowed = STRING_FORMATS if kind == "string" else ("default", "any") if kind == "date" else ("default",)
    if fmt in allowed or (kind == "date" and "%" in fmt and _strptime_ok(fmt)):
        return fmt
    extra_vi = ", hoặc mẫu strptime như %d/%m/%Y" if kind == "date" else ""
    extra_en = ", or a strptime pattern such as %d/%m/%Y" if kind == "date" else ""
    raise _schema_error(f"trường {name!r}: format {fmt!r} không hỗ trợ với kiểu {kind} (dùng {', '.join(allowed)}{extra_vi})",
                        f"field {name!r}: format {fmt!r} not supported for type {kind} (use {', '.join(allowed)}{extra_en})")


def _strptime_ok(fmt: str) -> bool:
    if len(fmt) > 40:
        return False
    try:
        dt.datetime(2024, 12, 31).strftime(fmt)
        return bool(re.search(r"%[dmYyjbB]", fmt)) and not re.search(r"%[^dmYyjbBaA%\-]", fmt)
    except ValueError:
        return False


def _constraints(name: str, kind: str, fmt: str, given: dict) -> dict:
    """The field's constraints with their values in the field's type (Table Schema: ``minimum``,
    ``maximum`` and ``enum`` items are values of the field's type, lengths are integers); anything else
    is a :class:`UserError` naming the schema field."""
    out = dict(given)

    def bad(vi: str, en: str):
        return _schema_error(f"trường {name!r}: {vi}", f"field {name!r}: {en}")

    def typed(key: str, value):
        if isinstance(value, (dict, list)) or value is None:
            raise bad(f"{key} phải là một giá trị kiểu {kind}", f"{key} must be a {kind} value")
        text = value if isinstance(value, str) else str(value)
        try:
            return _cast(kind, value, text, fmt)
        except (ValueError, TypeError, OverflowError, tabular.NumberError) as exc:
            if kind == "date" and fmt != "default":
                try:  # a date constraint may also be written in ISO form
                    return _cast(kind, value, text)
                except (ValueError, TypeError):
                    pass
            reason = getattr(exc, "reason", None) or _reason(kind, exc)
            raise bad(f"{key} {value!r} không phải giá trị kiểu {kind} ({reason})",
                      f"{key} {value!r} is not a {kind} value ({reason})") from None

    for key in ("required", "unique"):
        if key in given and not isinstance(given[key], bool):
            raise bad(f"{key} phải là true hoặc false", f"{key} must be true or false")
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if key in given:
            if kind not in ORDERED:
                raise bad(f"{key} không dùng được với kiểu {kind}", f"{key} does not apply to type {kind}")
            out[key] = typed(key, given[key])
    if "minimum" in out and "maximum" in out and out["minimum"] > out["maximum"]:
        raise bad("minimum lớn hơn maximum", "minimum is greater than maximum")
    for key in ("minLength", "maxLength"):
        if key in given:
            value = given[key]
            if kind != "string":
                raise bad(f"{key} chỉ dùng với kiểu string", f"{key} applies to type string only")
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise bad(f"{key} phải là số nguyên không âm, không phải {value!r}",
                          f"{key} must be a non-negative integer, not {value!r}")
    if "enum" in given:
        if not isinstance(given["enum"], list) or not given["enum"]:
            raise bad("enum phải là danh sách không rỗng", "enum must be a non-empty list")
        out["enum"] = [typed("enum", v) for v in given["enum"]]
    if "pattern" in given:
        pattern = given["pattern"]
        if not isinstance(pattern, str) or len(pattern) > PATTERN_MAX:
            raise bad(f"pattern phải là biểu thức chính quy tối đa {PATTERN_MAX} ký tự",
                      f"pattern must be a regular expression of at most {PATTERN_MAX} characters")
        if _NESTED.search(pattern):
            raise bad("pattern có lượng từ lồng nhau (như (a+)+), không được nhận",
                      "pattern has nested quantifiers (like (a+)+), which are refused")
        try:
            out["pattern"] = re.compile(pattern)
        except (re.error, RecursionError, OverflowError) as exc:
            raise bad(f"pattern không hợp lệ ({exc})", f"pattern is not a valid regular expression ({exc})") from None
    return out


_PY_REASONS = (  # Python's own ValueError texts (datetime, strptime, int) in both languages
    (re.compile(r"day is out of range for month"), "ngày không có trong tháng đó", "day is out of range for month"),
    (re.compile(r"month must be in 1\.\.12"), "tháng phải từ 1 đến 12", "month must be in 1..12"),
    (re.compile(r"year (-?\d+) is out of range"), "năm ngoài phạm vi", "year out of range"),
    (re.compile(r"hour must be in|minute must be in|second must be in"), "giờ không hợp lệ", "bad time of day"),
    (re.compile(r"time data .* does not match format '(.*)'"), "không khớp định dạng {0}", "does not match the format {0}"),
    (re.compile(r"unconverted data remains"), "còn thừa ký tự sau ngày", "characters left after the date"),
    (re.compile(r"Invalid isoformat string"), "cần YYYY-MM-DD", "YYYY-MM-DD expected"),
)


def _reason(kind: str, exc: Exception) -> str:
    """``exc``'s reason as "Vietnamese / English": tinhso's own texts already are; Python's are translated."""
    text = str(exc)
    if " / " in text:
        return text
    for pattern, vi, en in _PY_REASONS:
        m = pattern.search(text)
        if m:
            groups = m.groups()
            return f"{vi.format(*groups)} / {en.format(*groups)}"
    return f"không đọc được giá trị / cannot read the value ({text})"


def _date(text: str, fmt: str) -> dt.date:
    text = text.strip()
    if fmt == "default":
        if not _ISO_DATE.match(text):
            raise ValueError(f"cần YYYY-MM-DD / YYYY-MM-DD expected: {text!r}")
        return dt.date.fromisoformat(text)
    if fmt == "any":
        for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
            try:
                return dt.datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        raise ValueError(f"không đọc được ngày / not a date: {text!r}")
    return dt.datetime.strptime(text, fmt).date()


def _cast(kind: str, raw, text: str, fmt: str = "default"):
    if kind == "string":
        return text
    if kind == "integer":
        number = tabular.cell_number(raw, text)
        if not float(number).is_integer():
            raise ValueError(f"không phải số nguyên / not an integer: {text!r}")
        return int(number)
    if kind == "number":
        return float(tabular.cell_number(raw, text))
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        low = text.strip().lower()
        if low in TRUE:
            return True
        if low in FALSE:
            return False
        raise ValueError(f"không phải đúng/sai / not a boolean: {text!r}")
    if kind == "date":
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        return _date(text, fmt)
    if kind == "year":
        value = int(tabular.cell_number(raw, text))
        if not 1000 <= value <= 9999:
            raise ValueError(f"năm không hợp lệ / bad year: {text!r}")
        return value
    if kind == "yearmonth":
        m = _YEARMONTH.match(text.strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError(f"cần YYYY-MM / YYYY-MM expected: {text!r}")
        return text.strip()
    raise ValueError(kind)


def _shown(value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _format_problem(fmt: str, text: str) -> str | None:
    if fmt == "email":
        from django.core.exceptions import ValidationError
        from django.core.validators import validate_email

        try:
            validate_email(text)
        except ValidationError:
            return "không phải địa chỉ email / not an e-mail address"
    elif fmt == "uri":
        parts = urlsplit(text)
        if not (re.match(r"^[A-Za-z][A-Za-z0-9+.-]*$", parts.scheme or "") and (parts.netloc or parts.path)) \
                or any(c.isspace() for c in text):
            return "không phải URI / not a URI"
    elif fmt == "uuid":
        try:
            uuid.UUID(text)
        except ValueError:
            return "không phải UUID / not a UUID"
    elif fmt == "binary":
        try:
            base64.b64decode(text, validate=True)
        except (ValueError, binascii.Error):
            return "không phải base64 / not base64"
    return None


def _check(field: dict, value, text: str) -> str | None:
    """Why ``value`` (read from the cell ``text``) breaks its field's constraints, or None."""
    constraints = field["constraints"]
    if "enum" in constraints and value not in constraints["enum"]:
        allowed = ", ".join(_shown(v) for v in constraints["enum"])
        return f"không thuộc danh sách cho phép ({allowed}) / not one of {allowed}"
    if "minimum" in constraints and value < constraints["minimum"]:
        low = _shown(constraints["minimum"])
        return f"nhỏ hơn {low} / below the minimum {low}"
    if "maximum" in constraints and value > constraints["maximum"]:
        high = _shown(constraints["maximum"])
        return f"lớn hơn {high} / above the maximum {high}"
    if "exclusiveMinimum" in constraints and value <= constraints["exclusiveMinimum"]:
        low = _shown(constraints["exclusiveMinimum"])
        return f"phải lớn hơn {low} / must be greater than {low}"
    if "exclusiveMaximum" in constraints and value >= constraints["exclusiveMaximum"]:
        high = _shown(constraints["exclusiveMaximum"])
        return f"phải nhỏ hơn {high} / must be less than {high}"
    if "maxLength" in constraints and isinstance(value, str) and len(value) > constraints["maxLength"]:
        return f"dài quá {constraints['maxLength']} ký tự / longer than {constraints['maxLength']} characters"
    if "minLength" in constraints and isinstance(value, str) and len(value) < constraints["minLength"]:
        return f"ngắn hơn {constraints['minLength']} ký tự / shorter than {constraints['minLength']} characters"
    if "pattern" in constraints and not constraints["pattern"].fullmatch(text):
        shown = constraints["pattern"].pattern
        return f"không khớp mẫu {shown} / does not match the pattern {shown}"
    if field["type"] == "string" and field["format"] != "default":
        return _format_problem(field["format"], text)
    return None


def _header(rows: list) -> list[str]:
    """The first row's cells as text, without the empty cells at its end."""
    header = [nfc(tabular.cell_text(c)).strip() for c in (rows[0] if rows else [])]
    while header and not header[-1]:
        header.pop()
    return header


def validate(content: bytes, filename: str, schema, table_name: str, expected_header: list[str] | None = None,
             rows: list | None = None) -> Table:
    """The rows of the file typed by ``schema``, or a :class:`UserError` listing every bad row. The file's
    header row must name the schema's fields in order, or be ``expected_header`` (the header cells an inferred
    schema was made from: its names are made from them). ``rows``: the file already read (``read_table``)."""
    parsed = parse_schema(schema)
    fields, missing, key = parsed["fields"], parsed["missing"], parsed["primary_key"]
    rows = tabular.read_table(content, filename) if rows is None else rows
    if not rows:
        raise UserError("empty_table", "Tệp không có dòng nào.", "The file has no rows.", field="file")
    header = _header(rows)
    expected = [f["name"] for f in fields] if expected_header is None else list(expected_header)
    if header != expected:
        raise UserError("header_mismatch", f"Dòng tiêu đề {header} khác các trường của Table Schema {expected}.",
                        f"The header row {header} differs from the Table Schema fields {expected}.", field="file",
                        details=[{"row": 1, "column": "", "reason": "header / tiêu đề"}])
    errors: list[dict] = []
    out = []
    seen: dict[str, dict] = {f["name"]: {} for f in fields if f["constraints"].get("unique")}
    keys_seen: dict[tuple, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(tabular.cell_text(c).strip() for c in row):
            continue
        if len(row) > len(fields) and any(tabular.cell_text(c).strip() for c in row[len(fields):]):
            errors.append({"row": number, "column": "", "reason": "thừa ô ngoài các trường / extra cells"})
        elif len(row) < len(fields) and not filename.lower().endswith((".xlsx", ".xlsm")):
            # A CSV row with fewer cells than the header has lost its separators: refused, never padded.
            # (An XLSX row ends at its last non-empty cell, so blanks at its end are not missing cells.)
            errors.append({"row": number, "column": "",
                           "reason": f"thiếu ô: có {len(row)} ô, cần {len(fields)} / "
                                     f"missing cells: {len(row)} cells, {len(fields)} needed"})
            if len(errors) >= MAX_ERRORS:
                break
            continue
        record = {}
        for i, f in enumerate(fields):
            raw = row[i] if i < len(row) else None
            text = tabular.cell_text(raw)
            if not text.strip() or text in missing or text.strip() in missing:
                if f["constraints"].get("required") or f["name"] in key:
                    errors.append({"row": number, "column": f["name"], "reason": "bắt buộc / required"})
                record[f["name"]] = None
                continue
            try:
                value = _cast(f["type"], raw, text, f["format"])
            except (ValueError, OverflowError, tabular.NumberError) as exc:
                reason = getattr(exc, "reason", None) or _reason(f["type"], exc) or \
                    f"không đọc được / cannot read {text!r}"
                errors.append({"row": number, "column": f["name"], "reason": f"{f['type']}: {reason}"})
                continue
            problem = _check(f, value, text)
            if problem:
                errors.append({"row": number, "column": f["name"], "reason": problem})
            if f["name"] in seen:
                first = seen[f["name"]].setdefault(value, number)
                if first != number:
                    errors.append({"row": number, "column": f["name"],
                                   "reason": f"trùng giá trị với dòng {first} / duplicates row {first} (unique)"})
            record[f["name"]] = value
        if key and all(record.get(k) is not None for k in key):
            first = keys_seen.setdefault(tuple(record[k] for k in key), number)
            if first != number:
                errors.append({"row": number, "column": ", ".join(key),
                               "reason": f"khoá chính trùng với dòng {first} / primary key duplicates row {first}"})
        out.append(record)
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        shown = len(errors)
        raise UserError("table_invalid", f"{shown} lỗi trong tệp; không có gì được công bố.",
                        f"{shown} error{'' if shown == 1 else 's'} in the file; nothing was published.", field="file", details=errors)
    if not out:
        raise UserError("empty_table", "Tệp chỉ có dòng tiêu đề.", "The file has only a header row.", field="file")
    # A required field is published as required: every row was checked to have it.
    return Table(table_name, [Field(f["name"], f["type"], f["title"], f["description"],
                                    required=bool(f["constraints"].get("required"))) for f in fields], out)


# --- inferring a schema from the file (the clerk's way: no JSON typed) ------------------------------------

# The types a clerk chooses from (step 2 of the upload form): a code each, mapped to Table Schema's type
# and format. ``date-dmy`` is the Vietnamese dd/mm/yyyy, published as ISO yyyy-mm-dd.
CHOICES = {"string": ("string", "default"), "integer": ("integer", "default"), "number": ("number", "default"),
           "boolean": ("boolean", "default"), "date": ("date", "default"), "date-dmy": ("date", "%d/%m/%Y"),
           "year": ("year", "default"), "yearmonth": ("yearmonth", "default")}
EXAMPLES = 3
# An integer as text: no leading zero (a code such as "00123" or a phone number stays text, its zeros
# are part of it), at most 15 digits (read exactly as a float).
_INT_TEXT = re.compile(r"-?(?:0|[1-9]\d{0,14})")
# Thousands grouped without a decimal part: "1.234.567", "12,345,678" (grouping parse_number accepts).
_INT_GROUPED = re.compile(r"-?[1-9]\d{0,2}(?:(?:\.\d{3}){2,}|(?:,\d{3}){2,})")
# A decimal's whole part may not start with 0 unless it is 0 ("0,5" yes, "012,5" no); at most 15 digits.
_NUM_TEXT = re.compile(r"-?(?:0|[1-9][\d.,]*)[.,]\d+")
_DMY = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")
_BOOL_TEXT = {"true", "false"}


def safe_name(title: str, index: int, taken: set[str]) -> str:
    """An ASCII snake-case field name from a header cell ("Số giường bệnh" → ``so_giuong_benh``), unique
    among ``taken`` (``_2``, ``_3`` appended); ``cot_<n>`` when nothing is left of the title."""
    base = re.sub(r"[^a-z0-9]+", "_", fold(title)).strip("_")[:60].strip("_") or f"cot_{index}"
    if base[0].isdigit():
        base = f"c_{base}"[:60]
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def _cell_kinds(raw, text: str) -> set[str]:
    """The type codes a non-empty cell can be read as without changing its value."""
    if isinstance(raw, bool):
        return {"boolean"}
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and not math.isfinite(raw):
            return set()
        return {"integer", "number"} if float(raw).is_integer() and abs(raw) < 1e15 else {"number"}
    if isinstance(raw, dt.datetime):
        return {"date"} if raw.time() == dt.time(0) else set()
    if isinstance(raw, dt.date):
        return {"date"}
    cleaned = text.strip()
    if cleaned.lower() in _BOOL_TEXT:
        return {"boolean"}
    if _INT_TEXT.fullmatch(cleaned):
        return {"integer", "number"}
    kinds = set()
    if _INT_GROUPED.fullmatch(cleaned) or (_NUM_TEXT.fullmatch(cleaned)
                                            and sum(c.isdigit() for c in cleaned) <= 15):
        try:  # parse_number refuses what could be read two ways ("1.234": thousands or decimal?)
            value = tabular.parse_number(cleaned)
            kinds = {"integer", "number"} if _INT_GROUPED.fullmatch(cleaned) and value.is_integer() else {"number"}
        except tabular.NumberError:
            kinds = set()
    elif _ISO_DATE.fullmatch(cleaned):
        try:
            dt.date.fromisoformat(cleaned)
            kinds = {"date"}
        except ValueError:
            pass
    elif _DMY.fullmatch(cleaned):
        try:
            dt.datetime.strptime(cleaned, "%d/%m/%Y")
            kinds = {"date-dmy"}
        except ValueError:
            pass
    return kinds


_PREFERENCE = ("integer", "number", "date", "date-dmy", "boolean")


def infer(content: bytes, filename: str) -> dict:
    """The schema a clerk starts from, inferred from every row of the file (read within the limits):
    ``{"header": [...], "rows": n, "fields": [{"name", "title", "type", "examples", "empty"}]}``.

    A column gets a type only when every non-empty cell reads as it with its value unchanged: integer
    (no leading zero), number (decimal comma or point, unambiguous thousands grouping; one cell such as
    "1.234" that could be read two ways keeps the column text), date (ISO yyyy-mm-dd, or dd/mm/yyyy in
    every cell, published as ISO), boolean (only the words true/false); otherwise, and for an empty
    column, string."""
    rows = tabular.read_table(content, filename)
    header_cells = _header(rows)
    if not header_cells:
        raise UserError("empty_table", "Tệp không có dòng tiêu đề.", "The file has no header row.", field="file")
    taken: set[str] = set()
    fields = [{"name": safe_name(title, i, taken), "title": title, "kinds": set(_PREFERENCE), "examples": [],
               "empty": 0} for i, title in enumerate(header_cells, 1)]
    count = 0
    for row in rows[1:]:
        if not any(tabular.cell_text(c).strip() for c in row):
            continue
        count += 1
        for i, f in enumerate(fields):
            raw = row[i] if i < len(row) else None
            text = tabular.cell_text(raw)
            if not text.strip():
                f["empty"] += 1
                continue
            f["kinds"] &= _cell_kinds(raw, text)
            if len(f["examples"]) < EXAMPLES and text not in f["examples"]:
                f["examples"].append(text)
    for f in fields:
        kinds = f.pop("kinds")
        f["type"] = next((k for k in _PREFERENCE if k in kinds), "string") if f["examples"] else "string"
    return {"header": header_cells, "rows": count, "fields": fields}


def schema_from_choices(fields: list[dict]) -> dict:
    """A Table Schema from the clerk's choices (``name``, ``title``, ``type`` code of :data:`CHOICES`,
    ``description``, ``required``)."""
    out = []
    for f in fields:
        if f["type"] not in CHOICES:
            raise UserError("bad_type", f"Trường {f['title'] or f['name']}: kiểu không hợp lệ.",
                            f"Field {f['title'] or f['name']}: unknown type.", field=f"type_{f['name']}")
        kind, fmt = CHOICES[f["type"]]
        item = {"name": f["name"], "type": kind, "title": f.get("title", ""), "description": f.get("description", "")}
        if fmt != "default":
            item["format"] = fmt
        if f.get("required"):
            item["constraints"] = {"required": True}
        out.append(item)
    return {"fields": out}


_TYPE_PREFIX = re.compile(rf"^(?:{'|'.join(TYPES)}): ")


def titled_columns(errors: list[dict], fields: list[dict]) -> list[dict]:
    """Row errors as the clerk of the two-step form reads them: each column named by the title it sees
    ("Số giường (so_giuong)"), the reason without the Table Schema type code it did not write."""
    titles = {f["name"]: f.get("title", "") for f in fields}
    return [{**e, "column": f"{titles[e['column']]} ({e['column']})"
             if titles.get(e.get("column")) and titles[e["column"]] != e["column"] else e.get("column", ""),
             "reason": _TYPE_PREFIX.sub("", e.get("reason", ""))}
            for e in errors]


def published_schema(table_schema: dict) -> dict:
    """The Table Schema a new version of a published dataset is checked against: the published one (same
    field names, types, titles, descriptions and ``required`` marks); a date may be written yyyy-mm-dd or
    dd/mm/yyyy, as in the first upload (it is published as yyyy-mm-dd either way)."""
    fields = []
    for f in table_schema.get("fields", []):
        item = {k: v for k, v in f.items() if k in FIELD_KEYS}
        if item.get("type") == "date":
            item["format"] = "any"
        fields.append(item)
    return {"fields": fields}


def validate_version(content: bytes, filename: str, table_schema: dict, table_name: str) -> Table:
    """A new version's rows, checked as an upload is (every bad row named, all or nothing) against the
    published schema: the header row must be the published field names, or the column titles the first
    file had (e.g. "Số giường bệnh" for ``so_giuong_benh``)."""
    schema = published_schema(table_schema)
    names = [f["name"] for f in schema["fields"]]
    titles = [f.get("title") or f["name"] for f in schema["fields"]]
    rows = tabular.read_table(content, filename)  # read once, typed by validate()
    header = _header(rows)
    if not rows or header in (names, titles):  # (no rows: refused by validate)
        return validate(content, filename, schema, table_name, expected_header=header or None, rows=rows)
    expected = ", ".join(names) if titles == names else f"{', '.join(names)} — {', '.join(titles)}"
    raise UserError("header_mismatch",
                    f"Dòng tiêu đề ({', '.join(header)}) khác các cột của phiên bản đang công bố ({expected}); "
                    "phiên bản mới phải có cùng các cột, cùng thứ tự.",
                    f"The header row ({', '.join(header)}) differs from the published version's columns ({expected}); "
                    "a new version must have the same columns in the same order.", field="file",
                    details=[{"row": 1, "column": "", "reason": "tiêu đề / header"}])
