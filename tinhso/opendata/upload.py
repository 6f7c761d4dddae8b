"""Validate a department's CSV/XLSX against the Frictionless Table Schema it declares.

The file is read within :mod:`tinhso.core.limits` (through :func:`tinhso.core.tabular.read_table`); the
header must name the schema's fields in order; every cell is cast to its field's type (``string``,
``integer``, ``number``, ``boolean``, ``date``, ``year``, ``yearmonth``) and checked against its
constraints (``required``, ``enum``, ``minimum``, ``maximum``, ``maxLength``). Every bad row is named
(row, column, reason) and nothing is published unless every row is good."""

from __future__ import annotations

import datetime as dt
import re

from tinhso.core import limits, tabular
from tinhso.core.errors import UserError
from tinhso.core.text import nfc
from tinhso.opendata.writers import Field, Table

TYPES = ("string", "integer", "number", "boolean", "date", "year", "yearmonth")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_YEARMONTH = re.compile(r"^(\d{4})-(\d{2})$")
TRUE, FALSE = {"true", "1", "yes", "có", "x"}, {"false", "0", "no", "không"}
MAX_ERRORS = 1000


def _schema_error(reason_vi: str, reason_en: str) -> UserError:
    return UserError("bad_table_schema", f"Table Schema không hợp lệ: {reason_vi}", f"Invalid Table Schema: {reason_en}",
                     field="table_schema")


def parse_schema(raw) -> list[dict]:
    schema = limits.load_json(raw, "Table Schema", field="table_schema") if isinstance(raw, (str, bytes)) else raw
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list) or not schema["fields"]:
        raise _schema_error("cần đối tượng có danh sách 'fields'", "an object with a non-empty 'fields' list is needed")
    fields, seen = [], set()
    for i, f in enumerate(schema["fields"], 1):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str) or not _NAME.match(f["name"]):
            raise _schema_error(f"trường {i}: tên phải là chữ cái, số, gạch dưới",
                                f"field {i}: a name of letters, digits and underscores is needed")
        if f["name"] in seen:
            raise _schema_error(f"trường {f['name']!r} lặp lại", f"field {f['name']!r} repeats")
        seen.add(f["name"])
        kind = f.get("type", "string")
        if kind not in TYPES:
            raise _schema_error(f"trường {f['name']!r}: kiểu {kind!r} không hỗ trợ ({', '.join(TYPES)})",
                                f"field {f['name']!r}: type {kind!r} not supported ({', '.join(TYPES)})")
        constraints = f.get("constraints", {})
        if not isinstance(constraints, dict):
            raise _schema_error(f"trường {f['name']!r}: constraints phải là đối tượng",
                                f"field {f['name']!r}: constraints must be an object")
        fields.append({"name": f["name"], "type": kind, "title": str(f.get("title", "")),
                       "description": str(f.get("description", "")),
                       "constraints": _constraints(f["name"], kind, constraints)})
    return fields


ORDERED = ("integer", "number", "date", "year", "yearmonth")


def _constraints(name: str, kind: str, given: dict) -> dict:
    """The field's constraints with their values in the field's type (Table Schema: ``minimum``,
    ``maximum`` and ``enum`` items are values of the field's type, lengths are integers); anything else
    is a :class:`UserError` naming the schema field."""
    out = dict(given)

    def bad(vi: str, en: str):
        return _schema_error(f"trường {name!r}: {vi}", f"field {name!r}: {en}")

    def typed(key: str, value):
        if isinstance(value, (dict, list)) or value is None:
            raise bad(f"{key} phải là một giá trị kiểu {kind}", f"{key} must be a {kind} value")
        try:
            return _cast(kind, value, value if isinstance(value, str) else str(value))
        except (ValueError, TypeError, OverflowError, tabular.NumberError) as exc:
            reason = getattr(exc, "reason", None) or str(exc)
            raise bad(f"{key} {value!r} không phải giá trị kiểu {kind} ({reason})",
                      f"{key} {value!r} is not a {kind} value ({reason})") from None

    if "required" in given and not isinstance(given["required"], bool):
        raise bad("required phải là true hoặc false", "required must be true or false")
    for key in ("minimum", "maximum"):
        if key in given:
            if kind not in ORDERED:
                raise bad(f"{key} không dùng được với kiểu {kind}", f"{key} does not apply to type {kind}")
            out[key] = typed(key, given[key])
    if "minimum" in out and "maximum" in out and out["minimum"] > out["maximum"]:
        raise bad("minimum lớn hơn maximum", "minimum is greater than maximum")
    for key in ("minLength", "maxLength"):
        if key in given:
            value = given[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise bad(f"{key} phải là số nguyên không âm, không phải {value!r}",
                          f"{key} must be a non-negative integer, not {value!r}")
    if "enum" in given:
        if not isinstance(given["enum"], list) or not given["enum"]:
            raise bad("enum phải là danh sách không rỗng", "enum must be a non-empty list")
        out["enum"] = [typed("enum", v) for v in given["enum"]]
    return out


def _cast(kind: str, raw, text: str):
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
        return dt.date.fromisoformat(text.strip())
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


def _check(constraints: dict, value) -> str | None:
    if "enum" in constraints and value not in constraints["enum"]:
        return f"không thuộc danh sách cho phép / not one of {constraints['enum']}"
    if "minimum" in constraints and value < constraints["minimum"]:
        return f"nhỏ hơn {constraints['minimum']} / below the minimum {constraints['minimum']}"
    if "maximum" in constraints and value > constraints["maximum"]:
        return f"lớn hơn {constraints['maximum']} / above the maximum {constraints['maximum']}"
    if "maxLength" in constraints and isinstance(value, str) and len(value) > constraints["maxLength"]:
        return f"dài quá {constraints['maxLength']} ký tự / longer than {constraints['maxLength']}"
    return None


def validate(content: bytes, filename: str, schema, table_name: str) -> Table:
    """The rows of the file typed by ``schema``, or a :class:`UserError` listing every bad row."""
    fields = parse_schema(schema)
    rows = tabular.read_table(content, filename)
    if not rows:
        raise UserError("empty_table", "Tệp không có dòng nào.", "The file has no rows.", field="file")
    header = [nfc(tabular.cell_text(c)).strip() for c in rows[0]]
    while header and not header[-1]:
        header.pop()
    expected = [f["name"] for f in fields]
    if header != expected:
        raise UserError("header_mismatch", f"Dòng tiêu đề {header} khác các trường của Table Schema {expected}.",
                        f"The header row {header} differs from the Table Schema fields {expected}.", field="file",
                        details=[{"row": 1, "column": "", "reason": "header / tiêu đề"}])
    errors: list[dict] = []
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(tabular.cell_text(c).strip() for c in row):
            continue
        if len(row) > len(fields) and any(tabular.cell_text(c).strip() for c in row[len(fields):]):
            errors.append({"row": number, "column": "", "reason": "thừa ô ngoài các trường / extra cells"})
        record = {}
        for i, f in enumerate(fields):
            raw = row[i] if i < len(row) else None
            text = tabular.cell_text(raw)
            if not text.strip():
                if f["constraints"].get("required"):
                    errors.append({"row": number, "column": f["name"], "reason": "bắt buộc / required"})
                record[f["name"]] = None
                continue
            try:
                value = _cast(f["type"], raw, text)
            except (ValueError, OverflowError, tabular.NumberError) as exc:
                reason = getattr(exc, "reason", None) or str(exc) or f"không đọc được / cannot read {text!r}"
                errors.append({"row": number, "column": f["name"], "reason": f"{f['type']}: {reason}"})
                continue
            problem = _check(f["constraints"], value)
            if problem:
                errors.append({"row": number, "column": f["name"], "reason": problem})
            record[f["name"]] = value
        out.append(record)
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        shown = len(errors)
        raise UserError("table_invalid", f"{shown} lỗi trong tệp; không có gì được công bố.",
                        f"{shown} errors in the file; nothing was published.", field="file", details=errors)
    if not out:
        raise UserError("empty_table", "Tệp chỉ có dòng tiêu đề.", "The file has only a header row.", field="file")
    return Table(table_name, [Field(f["name"], f["type"], f["title"], f["description"]) for f in fields], out)
