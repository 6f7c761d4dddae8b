"""Bulk entry and export: the Excel template, tidy CSV (Open SDG style) import, CSV/XLSX/JSON export.

The tidy layout follows Open SDG's data format: ``Year`` first, ``Value`` last, ``GeoCode`` just
before it, disaggregation and observation-attribute columns in between; a blank ``Level`` means the
whole unit (Open SDG's "blank = total"). Columns are found by header name, in any order.

Import is all-or-nothing: every row is checked first; if any row has an error, nothing is written and
the error lists each problem as ``{"row", "column", "reason"}`` (row numbers as the spreadsheet or
the text editor shows them, the header being row 1), with ``reason_vi``/``reason_en`` and
``column_vi``/``column_en`` for a page that shows one language (:func:`error_rows`).

A row is checked as the web entry form checks a figure (:func:`tinhso.indicators.entry.check_range`:
a % is 0–100, a rank a whole number 1–63, a count a whole number ≥ 0, the indicator's natural limit).
Its year may not be after the current year: the file holds observations (figures measured), and a
plan's targets for later years come from its document, never from this file; years before a plan's
period are fine (they are the base of the trend). Imported from a plan's page, every row must be one
of the plan's indicators (for the plan's unit or another unit in the importer's scope, such as a ward
planner's own ward), so that each pending figure is on the plan's approval page
(:func:`tinhso.indicators.approval.pending`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io as _stdio
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from tinhso.core import cellsafe
from tinhso.core.errors import UserError
from tinhso.core.i18n import in_language
from tinhso.core.tabular import NumberError, RowError, cell_number, cell_text, read_table
from tinhso.geo.models import Unit
from tinhso.indicators import observations, status
from tinhso.indicators.models import AdminLevel, Comparator, Indicator, Observation, Plan, Source

COLUMNS = ["Year", "Indicator", "Level", "Qualifier", "MetMilestone", "Source", "SourceTitle", "SourceURL",
           "SourceDate", "PeriodLabel", "Quote", "Note", "GeoCode", "Value"]
# Reason of a row whose unit is outside the importer's scope (the whole import answers 403).
OUT_OF_SCOPE_VI, OUT_OF_SCOPE_EN = "ngoài phạm vi được giao", "outside your scope"
OUT_OF_SCOPE = f"{OUT_OF_SCOPE_VI} / {OUT_OF_SCOPE_EN}"
REQUIRED = ["Year", "Indicator", "GeoCode", "Source"]
# The Excel template's Vietnamese headers (sheet "Số liệu"): each names a tidy column; an import reads
# either set, and an error names the column as the file's header does.
VI_HEADERS = {
    "Year": "Năm", "Indicator": "Mã chỉ tiêu", "Level": "Cấp", "Qualifier": "Dấu so sánh",
    "MetMilestone": "Đạt chỉ tiêu mốc (không có số)", "Source": "Mã nguồn", "SourceTitle": "Tên nguồn mới",
    "SourceURL": "Địa chỉ web nguồn", "SourceDate": "Ngày phát hành nguồn", "PeriodLabel": "Cách nguồn ghi kỳ",
    "Quote": "Trích dẫn nguồn", "Note": "Ghi chú", "GeoCode": "Mã đơn vị hành chính", "Value": "Giá trị",
}
# Read-only reference columns of the template (what to enter, not data): ignored on import.
INFO_HEADERS = {"Tên chỉ tiêu (tham khảo)": "name", "Đơn vị tính (tham khảo)": "uom",
                "Mục tiêu (tham khảo)": "targets", "Số liệu đang tính (tham khảo)": "counted"}
TEMPLATE_COLUMNS = ["Year", "Indicator", "_name", "_uom", "_targets", "_counted", "Value", "Qualifier", "GeoCode",
                    "Source", "SourceTitle", "SourceURL", "SourceDate", "PeriodLabel", "Quote", "Note", "Level",
                    "MetMilestone"]
_INFO_NAMES = {"_name": "Tên chỉ tiêu (tham khảo)", "_uom": "Đơn vị tính (tham khảo)",
               "_targets": "Mục tiêu (tham khảo)", "_counted": "Số liệu đang tính (tham khảo)"}
TEMPLATE_SHEET = "Số liệu"
_CANONICAL = {**{c.lower(): c for c in COLUMNS}, **{vi.lower(): c for c, vi in VI_HEADERS.items()}}
# What a pre-filled template row carries before anyone types: such a row is skipped, not an error.
_PREFILLED = {"year", "indicator", "geocode"}
COLUMN_HELP = {
    "Year": ("Năm của số liệu (bắt buộc), không sau năm hiện tại", "Year the figure describes (required), not "
             "after the current year"),
    "Indicator": ("Mã chỉ tiêu, xem trang “Chỉ tiêu” (bắt buộc)",
                  "Indicator code, see the “Chỉ tiêu” (indicators) sheet (required)"),
    "Level": ("Cấp: để trống = toàn đơn vị; province / district / commune",
              "Level: blank = whole unit; province / district / commune"),
    "Qualifier": ("Để trống, hoặc > (trên), >= (tối thiểu), < (dưới), <= (tối đa), ~ (khoảng)",
                  "Blank, or > (above), >= (at least), < (below), <= (at most), ~ (about)"),
    "MetMilestone": ("Nguồn chỉ nói đã đạt chỉ tiêu của năm mốc này, không có số (để trống cột “Giá trị”)",
                     "The source only says this milestone's target was met, no figure (leave “Giá trị” (value) "
                     "blank)"),
    "Source": ("Mã nguồn, xem trang “Nguồn” (bắt buộc); mã mới thì ghi thêm cột “Tên nguồn mới”",
               "Source key, see the “Nguồn” (sources) sheet (required); a new key also needs “Tên nguồn mới” "
               "(new source title)"),
    "SourceTitle": ("Tên tài liệu/bài viết (cho nguồn mới)", "Document/article title (for a new source)"),
    "SourceURL": ("Địa chỉ web của nguồn", "Source URL"),
    "SourceDate": ("Ngày phát hành nguồn YYYY-MM-DD", "Source publication date YYYY-MM-DD"),
    "PeriodLabel": ("Cách nguồn ghi kỳ, ví dụ 'đầu năm 2024'", "The source's wording of the period"),
    "Quote": ("Câu trích từ nguồn", "The sentence quoted from the source"),
    "Note": ("Ghi chú", "Note"),
    "GeoCode": ("Mã đơn vị (bắt buộc), đã ghi sẵn là đơn vị của kế hoạch: legacy:60 (Bình Thuận cũ) hoặc mã "
                "hiện hành như 68; đơn vị phải thuộc phạm vi được giao cho bạn",
                "Unit code (required), pre-filled with the plan's unit: legacy:60 (former Bình Thuận) or a current "
                "code such as 68; the unit must be within your scope"),
    "Value": ("Giá trị số: ô số của Excel, hoặc chữ số với một dấu thập phân . hoặc , (92,5; 0.125). "
              "'1.234' hay '12,500' bị từ chối vì không rõ là hàng nghìn hay thập phân: ghi 1234 hoặc 1,2340. "
              "Tỷ lệ % từ 0 đến 100; thứ hạng và số lượng là số nguyên; không vượt giới hạn của chỉ tiêu "
              "(trang “Chỉ tiêu”)",
              "Numeric value: an Excel number cell, or digits with one decimal mark . or , (92,5; 0.125). "
              "'1.234' or '12,500' is refused as it may be thousands or a decimal: write 1234 or 1,2340. "
              "A % is 0 to 100; ranks and counts are whole numbers; never beyond the indicator's limit "
              "(“Chỉ tiêu” sheet)"),
}


@dataclass
class ImportProblem(RowError):
    """A row error said in each language apart (a page shows one language); ``reason`` keeps both,
    "vi / en", for the command line and the API. ``code`` marks the kind where the import needs it."""

    vi: str = ""
    en: str = ""
    code: str = ""
    column_vi: str = ""
    column_en: str = ""

    def as_dict(self) -> dict:
        return {**super().as_dict(), "reason_vi": self.vi, "reason_en": self.en,
                "column_vi": self.column_vi or self.column, "column_en": self.column_en or self.column}


def _problem(row: int, column: str, vi: str, en: str, code: str = "") -> ImportProblem:
    return ImportProblem(row, column, f"{vi} / {en}", vi, en, code)


def _year(text: str, rownum: int, column: str, errors: list[RowError], raw=None, latest: int = 2100) -> int | None:
    """A whole year 1900–``latest``, else a row error (the columns are small unsigned integers)."""
    try:
        number = cell_number(raw, text)
    except ValueError:
        number = None
    if number is not None and number.is_integer() and 1900 <= number <= latest:
        return int(number)
    if number is not None and number.is_integer() and latest < number <= 2100:
        errors.append(_problem(
            rownum, column,
            f"năm {int(number)} chưa đến (nay là năm {latest}): chỉ nhập số liệu đã có; mục tiêu của các năm "
            f"sau do văn bản kế hoạch đặt, không nhập ở đây",
            f"year {int(number)} has not come yet (this is {latest}): import figures already measured; targets "
            f"for later years come from the plan's document and are not imported here", "future_year"))
        return None
    errors.append(_problem(rownum, column, f"năm không hợp lệ: {text!r} (từ 1900 đến {latest})",
                           f"not a year: {text!r} (1900 to {latest})"))
    return None


def _fold(text: str) -> str:
    """Lower case without diacritics or separators: "Gia tri" and "Giá trị" fold alike."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return re.sub(r"[\s_\-]+", "", "".join(c for c in decomposed if not unicodedata.combining(c)))


_FOLDED = {_fold(name): name for name in [*COLUMNS, *VI_HEADERS.values()]}


# --- import ---------------------------------------------------------------------------------

# Text columns stored in bounded fields: a longer value is an error, never cut (PostgreSQL would refuse
# it with a database error, SQLite would store it whole past the declared size).
TEXT_LIMITS = {
    "SourceTitle": Source._meta.get_field("title").max_length,
    "SourceURL": Source._meta.get_field("url").max_length,
    "PeriodLabel": Observation._meta.get_field("period_label").max_length,
}
SOURCE_KEY = re.compile(rf"[-a-zA-Z0-9_]{{1,{Source._meta.get_field('key').max_length}}}")


def parse(content: bytes, filename: str, unit_allowed: Callable[[Unit], bool] | None = None, *,
          plan: Plan | None = None, today: dt.date | None = None,
          ) -> tuple[list[observations.ObservationInput], list[dict], list[RowError]]:
    """Check every row; returns (inputs, new sources, errors). Writes nothing.

    Each row is checked as the web form checks a figure: the value by
    :func:`tinhso.indicators.entry.check_range` (a % within 0–100, a rank, a count, the indicator's
    natural limit), the year not after this year (``today``; an observation is a figure measured;
    a plan's targets for later years come from its document, never from this file). Years before
    the plan's period are accepted: earlier figures are the series' base for trends.

    ``unit_allowed`` (the importer's scope, :mod:`tinhso.indicators.permissions`) makes a row
    whose GeoCode it refuses an error (:data:`OUT_OF_SCOPE`). ``plan`` (an import from a plan's page)
    makes a row for another unit than the plan's, or for an indicator the plan does not have, an error:
    its approvers (``/ke-hoach/<plan>/duyet``) would never see it."""
    from tinhso.indicators import entry

    current_year = (today or timezone.localdate()).year
    table = [row for row in read_table(content, filename, (TEMPLATE_SHEET, "Observations"))]
    errors: list[RowError] = []
    while table and not any(cell_text(c) for c in table[-1]):
        table.pop()
    if not table:
        raise UserError("empty_file", "Tệp không có dữ liệu", "The file has no rows", field="file")
    header = [cell_text(c) for c in table[0]]
    info = {h.lower() for h in INFO_HEADERS}
    # Canonical (lower-case) column name → its position, and → the header as the file writes it.
    index = {_CANONICAL[name.lower()].lower(): i for i, name in enumerate(header)
             if name and name.lower() in _CANONICAL}
    shown = {_CANONICAL[name.lower()]: name for name in header if name and name.lower() in _CANONICAL}
    vietnamese = any(name.lower() in {v.lower() for v in VI_HEADERS.values()} for name in header if name)
    english = any(name.lower() in {c.lower() for c in COLUMNS} for name in header if name)

    def label(col: str) -> str:
        """A column as this file names it (or would, in the language of its header)."""
        return shown.get(col) or (VI_HEADERS[col] if vietnamese else col)

    for name in REQUIRED + ["Value"]:
        if name.lower() not in index:
            other = name if vietnamese else VI_HEADERS[name]
            errors.append(_problem(1, name, f"thiếu cột {label(name)!r} (hoặc {other!r})",
                                   f"missing column {label(name)!r} (or {other!r})"))
    unknown = [h for h in header if h and h.lower() not in _CANONICAL and h.lower() not in info]
    if vietnamese or not english:
        names_vi = ", ".join(VI_HEADERS.values()) if vietnamese else (
            f"{', '.join(VI_HEADERS.values())}; hoặc tên tiếng Anh: {', '.join(COLUMNS)}")
        names_en = ", ".join(VI_HEADERS.values()) if vietnamese else (
            f"{', '.join(COLUMNS)}; or the Excel template's Vietnamese names: {', '.join(VI_HEADERS.values())}")
    else:
        names_vi = names_en = ", ".join(COLUMNS)
    for name in unknown:
        guess = _FOLDED.get(_fold(name))
        hint_vi = f" Có phải là {guess!r}?" if guess else ""
        hint_en = f" Did you mean {guess!r}?" if guess else ""
        errors.append(_problem(1, name, f"cột không biết {name!r}.{hint_vi} Các cột dùng được: {names_vi}",
                               f"unknown column {name!r}.{hint_en} The columns are: {names_en}"))
    if errors:
        return [], [], [replace(e, column=label(e.column), column_vi=VI_HEADERS[e.column], column_en=e.column)
                        if e.column in VI_HEADERS else e for e in errors]

    indicators = {i.code: i for i in Indicator.objects.all()}
    plan_indicators = set(plan.items.values_list("indicator__code", flat=True)) if plan is not None else set()
    sources = {s.key: s for s in Source.objects.all()}
    new_sources: dict[str, dict] = {}
    units: dict[str, object] = {}
    seen: dict[tuple, int] = {}
    inputs: list[observations.ObservationInput] = []

    for rownum, raw in enumerate(table[1:], start=2):
        # The cell as read (a workbook's numeric cell stays a number) and its text.
        originals = {name: raw[i] if i < len(raw) else None for name, i in index.items()}
        cells = {name: cell_text(value) for name, value in originals.items()}
        if not any(cells.values()):
            continue
        if not any(v for name, v in cells.items() if name not in _PREFILLED):
            continue  # a template row as pre-filled (year, indicator, unit) that nobody filled in

        def get(col: str, cells: dict = cells) -> str:
            return cells.get(col.lower(), "")

        row_errors: list[RowError] = []  # (a NUL or other control character is refused by read_table)
        for col in REQUIRED:
            if not get(col):
                row_errors.append(_problem(rownum, col, "ô này bắt buộc, đang để trống", "required, left empty"))
        year = (_year(get("Year"), rownum, "Year", row_errors, originals.get("year"), current_year)
                if get("Year") else None)
        indicator = indicators.get(get("Indicator"))
        if get("Indicator") and indicator is None:
            row_errors.append(_problem(rownum, "Indicator", f"không có chỉ tiêu mã {get('Indicator')!r}",
                                       f"unknown indicator {get('Indicator')!r}"))
        elif indicator is not None and plan is not None and indicator.code not in plan_indicators:
            row_errors.append(_problem(
                rownum, "Indicator",
                f"chỉ tiêu {indicator.code!r} không thuộc kế hoạch {plan.code} (xem trang “Chỉ tiêu” của mẫu "
                f"Excel); số liệu của chỉ tiêu này nhập ở trang kế hoạch có nó",
                f"indicator {indicator.code!r} is not in plan {plan.code} (see the “Chỉ tiêu” sheet of the Excel "
                f"template); enter its figures from the page of a plan that has it", "not_in_plan"))
        level = get("Level") or AdminLevel.ALL
        if level not in AdminLevel.values:
            row_errors.append(_problem(rownum, "Level", f"cấp không hợp lệ {level!r} (để trống, province, "
                                       f"district, commune)", f"unknown level {level!r} (blank, province, "
                                       f"district, commune)"))
        qualifier = get("Qualifier")
        if qualifier not in Comparator.values:
            row_errors.append(_problem(rownum, "Qualifier", f"dấu so sánh không hợp lệ {qualifier!r} (để trống, "
                                       f">, >=, <, <=, ~)", f"unknown qualifier {qualifier!r} (blank, >, >=, <, "
                                       f"<=, ~)"))
        value = None
        if get("Value"):
            try:
                value = cell_number(originals.get("value"), get("Value"))
            except NumberError as exc:
                row_errors.append(_problem(rownum, "Value", exc.vi, exc.en))
            else:
                if indicator is not None:
                    try:
                        entry.check_range(indicator, value)  # the web form's own check
                    except UserError as exc:
                        row_errors.append(_problem(rownum, "Value", exc.message_vi, exc.message_en))
        met = (_year(get("MetMilestone"), rownum, "MetMilestone", row_errors, originals.get("metmilestone"))
               if get("MetMilestone") else None)
        for col, limit in TEXT_LIMITS.items():
            if len(get(col)) > limit:
                row_errors.append(_problem(rownum, col, f"dài {len(get(col))} ký tự, tối đa {limit}",
                                           f"{len(get(col))} characters, at most {limit}"))
        if not get("Value") and not get("MetMilestone"):
            row_errors.append(_problem(rownum, "Value", f"thiếu giá trị (hoặc năm mốc ở cột {label('MetMilestone')!r})",
                                       f"value required (or a milestone year in column {label('MetMilestone')!r})"))
        unit = None
        ref = get("GeoCode")
        if ref:
            if ref not in units:
                try:
                    units[ref] = observations.resolve_unit(ref)
                except UserError as exc:
                    units[ref] = exc
            if isinstance(units[ref], UserError):
                row_errors.append(_problem(rownum, "GeoCode", units[ref].message_vi, units[ref].message_en))
            elif unit_allowed is not None and not unit_allowed(units[ref]):
                row_errors.append(_problem(rownum, "GeoCode", f"{OUT_OF_SCOPE_VI}: {ref}", f"{OUT_OF_SCOPE_EN}: {ref}",
                                           "out_of_scope"))
            else:
                unit = units[ref]
        key = get("Source")
        source = sources.get(key)
        if key and source is None:
            if key in new_sources:
                source = new_sources[key]["obj"]
            elif not SOURCE_KEY.fullmatch(key):
                row_errors.append(_problem(rownum, "Source", f"mã nguồn mới {key!r} chỉ gồm chữ Latin không dấu, "
                                           f"số, '-' và '_', tối đa 64 ký tự", f"a new source key {key!r} may only "
                                           f"use ASCII letters, digits, '-' and '_', at most 64 characters"))
            elif not get("SourceTitle"):
                row_errors.append(_problem(rownum, "Source", f"nguồn mới {key!r}: cần ghi cột {label('SourceTitle')!r}",
                                           f"a new source {key!r} needs column {label('SourceTitle')!r}"))
            else:
                published = None
                if get("SourceDate"):
                    try:
                        published = dt.date.fromisoformat(get("SourceDate"))
                    except ValueError:
                        row_errors.append(_problem(rownum, "SourceDate", f"ngày không hợp lệ {get('SourceDate')!r} "
                                                   f"(YYYY-MM-DD)", f"not a date {get('SourceDate')!r} (YYYY-MM-DD)"))
                source = Source(key=key, title=get("SourceTitle"), url=get("SourceURL"), published=published)
                new_sources[key] = {"obj": source, "row": rownum}
        if year is not None and indicator and unit is not None and level in AdminLevel.values:
            dup_key = (indicator.code, unit.pk, level, year)
            if dup_key in seen:
                row_errors.append(_problem(rownum, "Year", f"trùng kỳ với dòng {seen[dup_key]} (cùng chỉ tiêu, đơn "
                                           f"vị, cấp và năm)", f"duplicate period: same indicator, unit, level and "
                                           f"year as row {seen[dup_key]}"))
            else:
                seen[dup_key] = rownum
        if row_errors:
            errors.extend(row_errors)
            continue
        inputs.append(observations.ObservationInput(
            indicator=indicator, unit=unit, period=year, source=source, value=value, level=level,
            qualifier=qualifier, reported_met_milestone=met, period_label=get("PeriodLabel"),
            quote=get("Quote"), note=get("Note")))
    errors = [replace(e, column=label(e.column), column_vi=VI_HEADERS[e.column], column_en=e.column)
              if e.column in VI_HEADERS else e for e in errors]
    return inputs, [v["obj"] for v in new_sources.values()], errors


def import_file(content: bytes, filename: str, *, entered_by=None, entered_by_name: str = "",
                unit_allowed: Callable[[Unit], bool] | None = None, review_required: bool = False,
                plan: Plan | None = None, today: dt.date | None = None) -> dict:
    """Import a CSV/XLSX file: all rows or none. Returns counts; raises UserError listing every error
    (403 ``import_out_of_scope`` when a row names a unit outside ``unit_allowed``).

    ``plan``: imported from that plan's page, every row must be of its unit and indicators (see
    :func:`parse`). ``review_required`` (the web import): each figure counts once a second person
    approves it, and the approvers are told (:mod:`tinhso.indicators.approval`)."""
    inputs, new_sources, errors = parse(content, filename, unit_allowed, plan=plan, today=today)
    if errors:
        out_of_scope = any(getattr(e, "code", "") == "out_of_scope" for e in errors)
        first = errors[0]
        raise UserError("import_out_of_scope" if out_of_scope else "import_invalid",
                        f"Tệp có {len(errors)} lỗi; không nhập dòng nào. Dòng {first.row}, cột "
                        f"{first.column}: {getattr(first, 'vi', '') or first.reason}",
                        f"The file has {len(errors)} error(s); nothing was imported. Row {first.row}, "
                        f"column {first.column}: {getattr(first, 'en', '') or first.reason}",
                        field="file", details=[e.as_dict() for e in errors], status=403 if out_of_scope else 400)
    if not inputs:
        raise UserError("empty_file", "Tệp không có dòng số liệu nào (chỉ có dòng tiêu đề hoặc dòng để trống "
                        "giá trị)", "The file has no data rows (only the header, or rows without a value)",
                        field="file")
    counts = {"created": 0, "revised": 0, "unchanged": 0, "sources_created": 0}
    with transaction.atomic():
        for src in new_sources:
            src.save()
            counts["sources_created"] += 1
        created = []
        for data in inputs:
            obs, outcome = observations.record(data, entered_by=entered_by, entered_by_name=entered_by_name,
                                               review_required=review_required)
            counts[outcome] += 1
            if outcome != "unchanged":
                created.append(obs)
        if review_required and entered_by is not None:
            from tinhso.indicators import approval

            approval.notify_entered(created, entered_by, plan)
    counts["rows"] = len(inputs)
    return counts


def error_rows(err: UserError, english: bool) -> list[dict]:
    """The row errors of ``err`` for a page in one language: ``{"row", "column", "reason"}``.

    A column is named as the file's header names it; when that is the other language's name, the
    page's own name comes first and the file's follows (“Value (“Giá trị” in the file)”)."""
    details = err.details if isinstance(err.details, list) else []
    out = []
    for d in details:
        if not isinstance(d, dict) or "row" not in d:
            continue
        reason = d.get("reason_en" if english else "reason_vi") or ""
        if not reason:  # a reader's error (control characters) says both languages as "vi / en"
            parts = str(d.get("reason", "")).split(" / ")
            reason = (parts[1] if english else parts[0]) if len(parts) == 2 else str(d.get("reason", ""))
        in_file = str(d.get("column", ""))
        own = str(d.get("column_en" if english else "column_vi") or in_file)
        column = own if own == in_file else (f"{own} (“{in_file}” in the file)" if english
                                             else f"{own} (trong tệp: “{in_file}”)")
        out.append({"row": d["row"], "column": column, "reason": reason[:1].upper() + reason[1:]})
    return out


# --- template -------------------------------------------------------------------------------

def _targets_text(pi) -> str:
    return "; ".join(f"{t.milestone}{'' if t.level == 'all' else ' ' + in_language(AdminLevel(t.level).label, 'vi')}"
                     f": {t.comparator}{t.value:g}" for t in pi.targets.all())


def template(plan: Plan | None = None, period: int | None = None) -> bytes:
    """The Excel template, in Vietnamese: a "Số liệu" sheet with one row per indicator of ``plan``
    pre-filled (year, code, name, unit of measure, targets, the figure that counts now, the plan's
    unit), to which the planner adds the value and the source; plus reference sheets and a guide.
    Rows left without a value are skipped on import; the English tidy headers are accepted too."""
    wb = Workbook()
    ws = wb.active
    ws.title = TEMPLATE_SHEET
    headers = [_INFO_NAMES.get(c) or VI_HEADERS[c] for c in TEMPLATE_COLUMNS]
    ws.append(headers)
    grey = PatternFill("solid", fgColor="EEF1F5")
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = {"_name": 48, "_targets": 22, "_counted": 16, "SourceTitle": 30, "Quote": 30, "Note": 24}
    for i, name in enumerate(TEMPLATE_COLUMNS, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = widths.get(name, max(12, len(headers[i - 1]) + 2))
    ws.freeze_panes = "C2"
    items = list(plan.items.select_related("indicator", "pillar").prefetch_related("targets")
                 .order_by("pillar__order", "order")) if plan else []
    if plan is not None:
        from tinhso.indicators import entry

        year = period or (entry.periods(plan) or [plan.period_start])[-1]
        for pi in items:
            counted = next((o for o in observations.current_rows(pi.indicator, plan.unit, AdminLevel.ALL)
                            if o.period == year and o.value is not None), None)
            values = {"Year": year, "Indicator": pi.indicator.code, "_name": pi.indicator.name_vi,
                      "_uom": pi.indicator.unit_of_measure, "_targets": _targets_text(pi),
                      "_counted": f"{counted.qualifier}{counted.value:g}" if counted else "",
                      "GeoCode": observations.unit_ref(plan.unit)}
            ws.append([values.get(c, "") for c in TEMPLATE_COLUMNS])
            for i, name in enumerate(TEMPLATE_COLUMNS, start=1):
                if name.startswith("_"):
                    ws.cell(row=ws.max_row, column=i).fill = grey
    codes = [pi.indicator.code for pi in items] if plan else list(Indicator.objects.values_list("code", flat=True))

    ref = wb.create_sheet("Chỉ tiêu")
    ref.append(["Mã", "Tên chỉ tiêu", "Tên tiếng Anh", "Đơn vị tính", "Hướng", "Giới hạn", "Trụ cột", "Mục tiêu"])
    for c in ref[1]:
        c.font = Font(bold=True)
    direction = {"higher": "càng cao càng tốt", "lower": "càng thấp càng tốt", "band": "trong khoảng"}
    if plan is not None:
        for pi in items:
            ind = pi.indicator
            ref.append([ind.code, ind.name_vi, ind.name_en, ind.unit_of_measure, direction.get(ind.direction, ""),
                        ind.natural_limit, pi.pillar.name_vi, _targets_text(pi)])
    else:
        for ind in Indicator.objects.all():
            ref.append([ind.code, ind.name_vi, ind.name_en, ind.unit_of_measure, direction.get(ind.direction, ""),
                        ind.natural_limit, "", ""])

    src = wb.create_sheet("Nguồn")
    src.append(["Mã nguồn", "Tên", "Nơi phát hành", "Địa chỉ web", "Ngày phát hành"])
    for c in src[1]:
        c.font = Font(bold=True)
    for s_ in Source.objects.all():
        src.append([s_.key, s_.title, s_.publisher, s_.url, s_.published.isoformat() if s_.published else ""])

    guide = wb.create_sheet("Hướng dẫn")
    guide.append(["Cột", "Hướng dẫn", "Guide (English)"])
    for c in guide[1]:
        c.font = Font(bold=True)
    for name in TEMPLATE_COLUMNS:
        if name.startswith("_"):
            guide.append([_INFO_NAMES[name], "Chỉ để tham khảo, không được nhập", "Reference only, not imported"])
            continue
        vi, en = COLUMN_HELP[name]
        guide.append([VI_HEADERS[name], vi, en])
    guide.append([])
    for vi, en in (
        ("Mỗi chỉ tiêu của kế hoạch có sẵn một dòng: chỉ cần ghi “Giá trị” và “Mã nguồn”. Dòng để trống "
         "“Giá trị” sẽ được bỏ qua.", "Each indicator of the plan has a row: fill in “Giá trị” (value) and "
         "“Mã nguồn” (source key). Rows left without a value are skipped."),
        ("Tệp có bất kỳ lỗi nào sẽ không được nhập dòng nào; lỗi ghi rõ dòng, cột, lý do.",
         "A file with any error imports nothing; each error names the row, the column and the reason."),
        ("Số liệu nhập vào chỉ được tính khi một người thứ hai duyệt.",
         "Imported figures count only once a second person approves them."),
        ("Nhập lại cùng kỳ với giá trị khác tạo bản sửa đổi; lịch sử được giữ nguyên.",
         "Importing the same period again with another value adds a revision; history is kept."),
    ):
        guide.append(["", vi, en])
    guide.column_dimensions["A"].width = 30
    guide.column_dimensions["B"].width = 80
    guide.column_dimensions["C"].width = 60

    col = {name: ws.cell(row=1, column=i).column_letter for i, name in enumerate(TEMPLATE_COLUMNS, start=1)}
    last = max(1000, len(items) + 200)
    if codes:
        ind_list = DataValidation(type="list", formula1=f"='Chỉ tiêu'!$A$2:$A${len(codes) + 1}", allow_blank=True)
        ws.add_data_validation(ind_list)
        ind_list.add(f"{col['Indicator']}2:{col['Indicator']}{last}")
    level_list = DataValidation(type="list", formula1='"province,district,commune"', allow_blank=True)
    ws.add_data_validation(level_list)
    level_list.add(f"{col['Level']}2:{col['Level']}{last}")
    qualifier_list = DataValidation(type="list", formula1='">,>=,<,<=,~"', allow_blank=True)
    ws.add_data_validation(qualifier_list)
    qualifier_list.add(f"{col['Qualifier']}2:{col['Qualifier']}{last}")
    return cellsafe.workbook_bytes(wb)


# --- export ---------------------------------------------------------------------------------

def series_rows(plan: Plan) -> list[dict]:
    """Every current observation of the plan's indicators for the plan's unit, tidy layout."""
    rows = []
    for pi in plan.items.select_related("indicator").order_by("pillar__order", "order"):
        for obs in observations.current_rows(pi.indicator, plan.unit):
            rows.append(_obs_row(obs))
    return rows


def _obs_row(obs: Observation) -> dict:
    s = obs.source
    return {
        "Year": obs.period, "Indicator": obs.indicator.code,
        "Level": "" if obs.level == AdminLevel.ALL else obs.level, "Qualifier": obs.qualifier,
        "MetMilestone": obs.reported_met_milestone or "", "Source": s.key, "SourceTitle": s.title,
        "SourceURL": s.url, "SourceDate": s.published.isoformat() if s.published else "",
        "PeriodLabel": obs.period_label, "Quote": obs.quote, "Note": obs.note,
        "GeoCode": observations.unit_ref(obs.unit), "Value": "" if obs.value is None else obs.value,
    }


STATUS_COLUMNS = ["code", "name", "pillar", "level", "status", "score", "target", "comparator", "latest_value",
                  "latest_period", "cagr_projected", "cagr_ratio", "regression_projected", "regression_gap",
                  "level_abolished_on", "method"]


def status_rows(report: dict) -> list[dict]:
    rows = []
    for e in report["indicators"]:
        for lv in e["levels"] or [dict(e, level="all", level_abolished_on=None)]:
            latest = lv["latest"] or {}
            fc = lv["forecast"] or {}
            rows.append({
                "code": e["code"], "name": e["name"], "pillar": e["pillar"], "level": lv["level"],
                "status": lv["status"], "score": lv.get("score"), "target": lv["target"],
                "comparator": lv.get("comparator"), "latest_value": latest.get("value"),
                "latest_period": latest.get("period"),
                "cagr_projected": fc.get("cagr", {}).get("projected"), "cagr_ratio": fc.get("cagr", {}).get("ratio"),
                "regression_projected": fc.get("regression", {}).get("projected"),
                "regression_gap": fc.get("regression", {}).get("gap"),
                "level_abolished_on": lv.get("level_abolished_on"), "method": lv["method"]})
    return rows


def _csv(rows: list[dict], columns: list[str]) -> bytes:
    out = _stdio.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else cellsafe.csv_value(row.get(k))) for k in columns})
    return ("\ufeff" + out.getvalue()).encode("utf-8")


EXPORT_FORMATS = ("csv", "xlsx", "json")


def export(plan_code: str, milestone: int | str, fmt: str, what: str = "series") -> tuple[bytes, str]:
    """Returns (content, content type). CSV carries one table (``what`` = series|status)."""
    if fmt not in EXPORT_FORMATS:
        raise UserError("unknown_format", f"Định dạng {fmt!r} không hỗ trợ ({', '.join(EXPORT_FORMATS)})",
                        f"Unsupported format {fmt!r} ({', '.join(EXPORT_FORMATS)})", field="format")
    if what not in ("series", "status"):
        raise UserError("unknown_table", f"Bảng {what!r} không có (series|status)",
                        f"Unknown table {what!r} (series|status)", field="what")
    plan = status.get_plan(plan_code)
    report = status.plan_status(plan_code, milestone)
    series = series_rows(plan)
    if fmt == "json":
        body = {"plan": plan.code, "milestone": report["milestone"], "series": series, "status": report}
        return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8"), "application/json"
    if fmt == "csv":
        content = _csv(series, COLUMNS) if what == "series" else _csv(status_rows(report), STATUS_COLUMNS)
        return content, "text/csv; charset=utf-8"
    wb = Workbook()
    ws = wb.active
    ws.title = "Series"
    ws.append(COLUMNS)
    for row in series:
        ws.append([row[c] for c in COLUMNS])
    st = wb.create_sheet("Status")
    st.append(STATUS_COLUMNS)
    for row in status_rows(report):
        st.append([row[c] for c in STATUS_COLUMNS])
    for sheet in (ws, st):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    return cellsafe.workbook_bytes(wb), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
