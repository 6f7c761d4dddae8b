"""The web data-entry form: one plan, one period (year), one row per indicator of the plan.

DHIS2's data-entry screen, reduced to what a plan needs: the planner picks the plan's period,
types the figures they have (an empty field is left alone), names the source once for the form,
and sends. Checked on entry, per field, and all or nothing (a form with any error writes nothing
and shows each error next to its field):

- the period belongs to the plan (``period_start``–``period_end``) and is not in the future;
- a value is a number (``92,5`` or ``92.5``; ``1.234`` is refused as ambiguous, as in imports);
- it fits the unit of measure (a share in % is 0–100, a rank a whole number 1–63, a count a whole
  number ≥ 0) and the indicator's natural limit (:func:`check_range`, which file imports use too);
- the qualifier is one of the known ones, the note at most :data:`NOTE_MAX` characters;
- the plan's unit is inside the planner's scope.

Each figure is written through :func:`tinhso.indicators.observations.record` with
``review_required`` set: it counts once a second person approves it (:mod:`approval`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from tinhso.core.errors import UserError
from tinhso.core.tabular import NumberError, parse_number
from tinhso.core.text import nfc
from tinhso.indicators import approval, observations, permissions
from tinhso.indicators.models import AdminLevel, Comparator, Indicator, Observation, Plan, Source

NOTE_MAX = 1000
# Units of measure whose values are whole counts (people, teams, villages, procedures…).
COUNT_UNITS = {"người", "tổ", "thôn, bản", "thủ tục", "hộ", "doanh nghiệp", "xã", "hệ thống"}
PERCENT_UNITS = {"%"}
RANK_UNITS = {"hạng"}
RANK_MAX = 63  # provinces before the 2025 merger (34 after)
SOURCE_TITLE_MAX = Source._meta.get_field("title").max_length
SOURCE_URL_MAX = Source._meta.get_field("url").max_length


def periods(plan: Plan, today: dt.date | None = None) -> list[int]:
    """The years a figure may be entered for: the plan's period, up to this year."""
    year = (today or timezone.localdate()).year
    return list(range(plan.period_start, min(plan.period_end, year) + 1))


def check_period(plan: Plan, period, today: dt.date | None = None) -> int:
    allowed = periods(plan, today)
    try:
        year = int(str(period).strip())
    except (TypeError, ValueError):
        year = None
    if year not in allowed:
        span = f"{allowed[0]}–{allowed[-1]}" if allowed else "—"
        raise UserError("period_not_in_plan", f"Kỳ {period!r} không thuộc kế hoạch {plan.code} (được nhập: {span})",
                        f"Period {period!r} is not in plan {plan.code} (allowed: {span})", field="ky")
    return year


def check_value(indicator: Indicator, text: str) -> float:
    """The number typed for ``indicator``, or :class:`UserError` saying why not (field ``value``)."""
    try:
        value = parse_number(text)
    except NumberError as exc:
        # Each language's own sentence, once (it already says "not a number" or "ambiguous number").
        raise UserError("not_a_number", _sentence(exc.vi), _sentence(exc.en), field="value") from exc
    return check_range(indicator, value)


def check_range(indicator: Indicator, value: float) -> float:
    """``value`` if it is possible for ``indicator``, else :class:`UserError` (field ``value``).

    The one check of a figure's range, for the web form and for file imports
    (:func:`tinhso.indicators.io.parse`): a share in % is 0–100, a rank a whole number 1–63, a count
    a whole number ≥ 0, and no value beyond the indicator's natural limit."""
    if not math.isfinite(value):
        raise UserError("not_a_number", f"Không phải số hữu hạn: {value}", f"Not a finite number: {value}",
                        field="value")
    uom = indicator.unit_of_measure.strip()
    if uom in PERCENT_UNITS and not 0 <= value <= 100:
        raise UserError("out_of_range", f"Tỷ lệ phần trăm phải từ 0 đến 100, nhận {value:g}",
                        f"A percentage must be between 0 and 100, got {value:g}", field="value")
    if uom in RANK_UNITS and not (value.is_integer() and 1 <= value <= RANK_MAX):
        raise UserError("out_of_range", f"Thứ hạng phải là số nguyên từ 1 đến {RANK_MAX}, nhận {value:g}",
                        f"A rank must be a whole number from 1 to {RANK_MAX}, got {value:g}", field="value")
    if uom in COUNT_UNITS and not (value.is_integer() and value >= 0):
        raise UserError("out_of_range", f"Số lượng ({uom}) phải là số nguyên không âm, nhận {value:g}",
                        f"A count ({uom}) must be a whole number ≥ 0, got {value:g}", field="value")
    limit = indicator.natural_limit
    if limit is not None:
        beyond = value > limit if indicator.direction != "lower" else value < limit
        if beyond:
            raise UserError("out_of_range", f"Vượt giới hạn tự nhiên {limit:g} {uom} của chỉ tiêu",
                            f"Beyond the indicator's natural limit {limit:g} {uom}", field="value")
    return value


def check_scope(plan: Plan, user) -> None:
    """The plan's unit is inside ``user``'s planner scope, else 403."""
    if not permissions.unit_checker(permissions.import_scope(user))(plan.unit):
        raise UserError("import_out_of_scope", f"{plan.unit.name} ngoài phạm vi được giao",
                        f"{plan.unit.name} is outside your scope", status=403)


@dataclass
class FormRow:
    indicator: Indicator
    pillar: str
    counted: Observation | None = None
    pending: Observation | None = None
    value: str = ""
    qualifier: str = ""
    note: str = ""
    errors: list[str] = field(default_factory=list)
    error_codes: list[str] = field(default_factory=list)  # the kinds, for the page's data attribute

    @property
    def code(self) -> str:
        return self.indicator.code


def rows(plan: Plan, period: int) -> list[FormRow]:
    """One row per plan indicator with its counted and pending figures of ``period`` (whole unit)."""
    out = []
    for item in plan.items.select_related("indicator", "pillar").order_by("pillar__order", "order"):
        counted = next((o for o in observations.current_rows(item.indicator, plan.unit, AdminLevel.ALL)
                        if o.period == period), None)
        pending = (Observation.objects.pending().filter(indicator=item.indicator, unit=plan.unit,
                                                        level=AdminLevel.ALL, period=period)
                   .order_by("-entered_at", "-id").first())
        out.append(FormRow(item.indicator, item.pillar.name_vi, counted, pending))
    return out


def _new_source(title: str, url: str) -> Source:
    digest = hashlib.sha1(f"{title}\n{url}".encode()).hexdigest()[:8]
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower().encode("ascii", "ignore").decode()).strip("-")[:40] or "nguon"
    key = f"web-{slug}-{digest}"
    source, _ = Source.objects.get_or_create(key=key, defaults={"title": title, "url": url,
                                                                 "note": "Named on the web data-entry form"})
    return source


@dataclass
class Submission:
    rows: list[FormRow]
    errors: dict[str, str] = field(default_factory=dict)  # form-level field → message
    error_codes: dict[str, str] = field(default_factory=dict)  # form-level field → the error's kind
    created: list[Observation] = field(default_factory=list)
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and not any(r.errors for r in self.rows)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _message(err: UserError, english: bool) -> str:
    """The error in the page's language, once (its code is no part of what the reader sees)."""
    return err.message_en if english else err.message_vi


def _row_error(row: FormRow, err: UserError, english: bool) -> None:
    row.errors.append(_message(err, english))
    row.error_codes.append(err.code)


def _form_error(sub: Submission, name: str, err: UserError, english: bool) -> None:
    sub.errors[name] = _message(err, english)
    sub.error_codes[name] = err.code


def submit(plan: Plan, period, data, user, *, english: bool = False, today: dt.date | None = None) -> Submission:
    """Check the posted form (``v-<code>``, ``q-<code>``, ``n-<code>``, ``source`` or
    ``source_title``/``source_url``); write every figure or none. Errors are per field, never raised
    (a period outside the plan or a unit outside the scope raise :class:`UserError`)."""
    year = check_period(plan, period, today)
    check_scope(plan, user)
    form = rows(plan, year)
    sub = Submission(form)
    for row in form:
        row.value = nfc(str(data.get(f"v-{row.code}", "")).strip())
        row.qualifier = str(data.get(f"q-{row.code}", "")).strip()
        row.note = nfc(str(data.get(f"n-{row.code}", "")).strip())
        if row.qualifier not in Comparator.values:
            _row_error(row, UserError("unknown_qualifier", "Dấu so sánh không hợp lệ", "Unknown qualifier"), english)
        if len(row.note) > NOTE_MAX:
            _row_error(row, UserError("too_long", f"Ghi chú tối đa {NOTE_MAX} ký tự",
                                      f"A note has at most {NOTE_MAX} characters"), english)
        if "\x00" in row.value + row.note:
            _row_error(row, UserError("nul", "Chứa ký tự NUL", "Contains a NUL character"), english)
        if row.value:
            try:
                check_value(row.indicator, row.value)
            except UserError as err:
                _row_error(row, err, english)
        elif row.note or row.qualifier:
            _row_error(row, UserError("value_required", "Thiếu giá trị", "A value is required"), english)
    filled = [r for r in form if r.value]
    source_key = str(data.get("source", "")).strip()
    title = nfc(str(data.get("source_title", "")).strip())
    url = str(data.get("source_url", "")).strip()
    source = None
    if source_key:
        source = Source.objects.filter(key=source_key).first()
        if source is None:
            _form_error(sub, "source", UserError("unknown_source", "Không có nguồn này", "Unknown source"), english)
    elif title:
        if len(title) > SOURCE_TITLE_MAX:
            _form_error(sub, "source_title", UserError(
                "too_long", f"Tối đa {SOURCE_TITLE_MAX} ký tự", f"At most {SOURCE_TITLE_MAX} characters"), english)
        if url and (len(url) > SOURCE_URL_MAX or not re.match(r"https?://[^\s]+$", url)):
            _form_error(sub, "source_url", UserError(
                "bad_url", "Địa chỉ web phải bắt đầu bằng http:// hoặc https://",
                "The address must start with http:// or https://"), english)
    elif filled:
        _form_error(sub, "source", UserError(
            "source_required", "Chọn nguồn số liệu, hoặc ghi tên tài liệu nguồn mới",
            "Choose the figures' source, or name a new source document"), english)
    if not filled and not any(r.errors for r in form):
        _form_error(sub, "form", UserError("nothing_entered", "Chưa nhập giá trị nào", "No value was entered"),
                    english)
    if not sub.ok:
        return sub
    with transaction.atomic():
        if source is None:
            source = _new_source(title, url)
        for row in filled:
            data_in = observations.ObservationInput(
                indicator=row.indicator, unit=plan.unit, period=year, source=source,
                value=check_value(row.indicator, row.value), qualifier=row.qualifier, note=row.note,
                revision_note="web form")
            obs, outcome = observations.record(data_in, entered_by=user, review_required=True)
            if outcome == "unchanged":
                sub.unchanged += 1
            else:
                sub.created.append(obs)
        approval.notify_entered(sub.created, user, plan)
    return sub
