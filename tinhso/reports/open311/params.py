"""Open311 arguments → validated values. Every bad value is a 400 naming the parameter.

Per the spec, an empty optional argument means the same as a missing one. POST bodies are
``application/x-www-form-urlencoded`` (the spec), ``multipart/form-data`` or a JSON object;
attributes come as ``attribute[code]=value`` (``attribute[code][]`` repeated for lists) or, in
JSON, as an ``"attribute": {"code": value}`` object.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from tinhso.core import limits
from tinhso.core.errors import UserError
from tinhso.core.timebounds import check_year
from tinhso.core.workcalendar import VIETNAM_TZ

MAX_PAGE_SIZE = 1000  # the spec's "first 1000 requests"
DEFAULT_WINDOW = dt.timedelta(days=90)  # the spec's default "last 90 days"
MAX_IDS = 1000
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
_W3C_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def bad(param: str, vi: str, en: str, code: str = "bad_parameter", status: int = 400) -> UserError:
    return UserError(code, vi, en, field=param, status=status)


def missing(param: str, vi_what: str, en_what: str) -> UserError:
    return UserError("missing_parameter", f"Thiếu tham số {param} ({vi_what}).",
                     f"Missing parameter {param} ({en_what}).", field=param)


@dataclass
class Arguments:
    """Flat argument values (first value of each name) and the ``attribute[...]`` map."""

    values: dict[str, str]
    attributes: dict[str, str | list[str]]

    def get(self, name: str) -> str:
        return (self.values.get(name) or "").strip()


def _scalar(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        raise bad("body", "Giá trị lồng nhau không được hỗ trợ ở tham số này.",
                  "Nested values are not accepted for this parameter.")
    return str(value)


def from_querydict(*querydicts) -> Arguments:
    """Form or query-string arguments; later dicts override earlier ones."""
    values: dict[str, str] = {}
    attributes: dict[str, str | list[str]] = {}
    for qd in querydicts:
        for name in qd:
            found = _ATTRIBUTE.match(name)
            if found:
                code, is_list = found.group(1), bool(found.group(2))
                attributes[code] = qd.getlist(name) if is_list else qd.get(name, "")
            else:
                values[name] = qd.get(name, "")
    return Arguments(values, attributes)


def from_json(body: bytes, query) -> Arguments:
    """A JSON object body (plus the query string, e.g. ``api_key``)."""
    try:
        data = limits.load_json(body or b"{}", "JSON", field="body")
    except UserError as exc:  # not JSON, nested too deep, or text that cannot be stored
        raise bad("body", f"Nội dung JSON không hợp lệ — {exc.message_vi}.",
                  f"The JSON body is invalid — {exc.message_en}.", code="bad_json") from None
    if not isinstance(data, dict):
        raise bad("body", "Nội dung JSON phải là một đối tượng {…}.", "The JSON body must be an object {…}.",
                  code="bad_json")
    args = from_querydict(query)
    for name, value in data.items():
        found = _ATTRIBUTE.match(name)
        if name == "attribute" and isinstance(value, dict):
            for code, item in value.items():
                args.attributes[str(code)] = [_scalar(v) for v in item] if isinstance(item, list) else _scalar(item)
        elif found:
            args.attributes[found.group(1)] = [_scalar(v) for v in value] if isinstance(value, list) \
                else _scalar(value)
        else:
            args.values[name] = _scalar(value)
    return args


def parse_datetime(value: str, param: str, *, end_of_day: bool = False) -> dt.datetime:
    """A W3C datetime (``2026-03-01``, ``2026-03-01T08:00:00+07:00``, ``…Z``).

    Without an offset the time is local (Asia/Ho_Chi_Minh). Years outside
    :mod:`tinhso.core.timebounds`' range are a 400. A bare date means the start of
    that day, or its end (exclusive: the next midnight) with ``end_of_day``.
    """
    text = value.strip().replace(" ", "+") if "T" in value else value.strip()
    try:
        if _W3C_DATE.match(text):
            parts = [int(p) for p in text.split("-")] + [1, 1]
            day = check_year(dt.date(parts[0], parts[1], parts[2]), param, value)
            start = dt.datetime.combine(day, dt.time(), tzinfo=VIETNAM_TZ)
            if not end_of_day:
                return start
            if text.count("-") == 2:
                return start + dt.timedelta(days=1)
            if text.count("-") == 1:
                return start.replace(year=day.year + day.month // 12, month=day.month % 12 + 1)
            return start.replace(year=day.year + 1)
        parsed = check_year(dt.datetime.fromisoformat(text.replace("z", "Z")), param, value)
    except ValueError:
        raise bad(param, f"{param} không phải ngày giờ ISO 8601 hợp lệ: “{value}” "
                         "(ví dụ 2026-03-01 hoặc 2026-03-01T08:00:00+07:00).",
                  f"{param} is not a valid ISO 8601 date/time: {value!r} "
                  "(e.g. 2026-03-01 or 2026-03-01T08:00:00+07:00).", code="bad_date") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VIETNAM_TZ)


def parse_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_status(value: str) -> list[str]:
    statuses = parse_list(value)
    wrong = [s for s in statuses if s not in ("open", "closed")]
    if wrong:
        raise bad("status", f"status phải là open hoặc closed (nhận được “{', '.join(wrong)}”).",
                  f"status must be open or closed (got {', '.join(wrong)!r}).", code="bad_status")
    return statuses


def parse_positive_int(value: str, param: str, *, default: int, maximum: int) -> int:
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= maximum:
        raise bad(param, f"{param} phải là số nguyên từ 1 đến {maximum} (nhận được “{value}”).",
                  f"{param} must be an integer from 1 to {maximum} (got {value!r}).", code="bad_page")
    return number


@dataclass(frozen=True)
class RequestQuery:
    """Validated arguments of ``GET requests``."""

    ids: list[str]
    service_codes: list[str]
    start: dt.datetime | None
    end: dt.datetime | None
    statuses: list[str]
    page: int
    page_size: int
    q: str = ""  # extension: words searched in the description, category and commune (folded)


MAX_Q = 200


def request_query(args: Arguments, now: dt.datetime) -> RequestQuery:
    """Filters of ``GET requests`` with the spec's defaults (the last 90 days, 1,000 results).

    ``service_request_id`` overrides every other filter (spec). With only ``start_date`` the
    window runs to now; with only ``end_date`` it is the 90 days before it.
    """
    page = parse_positive_int(args.get("page"), "page", default=1, maximum=1_000_000)
    page_size = parse_positive_int(args.get("page_size"), "page_size", default=MAX_PAGE_SIZE,
                                   maximum=MAX_PAGE_SIZE)
    ids = parse_list(args.get("service_request_id"))
    if len(ids) > MAX_IDS:
        raise bad("service_request_id", f"Tối đa {MAX_IDS} mã mỗi lần.", f"At most {MAX_IDS} ids per query.")
    if ids:
        return RequestQuery([i.upper() for i in ids], [], None, None, [], page, page_size)
    start = parse_datetime(args.get("start_date"), "start_date") if args.get("start_date") else None
    end = parse_datetime(args.get("end_date"), "end_date", end_of_day=True) if args.get("end_date") else None
    if start is None and end is None:
        end = now
    if start is None:
        start = end - DEFAULT_WINDOW
    if end is not None and end < start:
        raise bad("end_date", "end_date phải sau start_date.", "end_date must be after start_date.",
                  code="bad_date_range")
    q = args.get("q").strip()
    if len(q) > MAX_Q:
        raise bad("q", f"Từ khóa tìm kiếm tối đa {MAX_Q} ký tự.", f"The search words are at most {MAX_Q} characters.")
    return RequestQuery([], parse_list(args.get("service_code")), start, end,
                        parse_status(args.get("status")), page, page_size, q)
