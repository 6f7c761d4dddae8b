"""Public-service pages: /dich-vu-cong (the province's 766 score over time, the six groups, league
tables of departments and communes, progress buckets, due soon), /dich-vu-cong/co-quan/<code> (one
agency) and /dich-vu-cong/ho-so (the dossiers behind a number, staff only, with CSV from the API).

Thin: every figure comes from :mod:`tinhso.dossiers.service`, the same as the API and the CLI; results
are cached for a few minutes, keyed by the store's files (an import shows at once).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.core.cache import cache
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from tinhso.core.errors import UserError
from tinhso.core.i18n import grouped, pick
from tinhso.core.timebounds import parse_day
from tinhso.dossiers import access, period_text, service, store, textsearch
from tinhso.dossiers import engine as engines
from tinhso.dossiers.indicators import GROUPS, compute_many
from tinhso.dossiers.models import Agency, AgencyKind, DossierImport
from tinhso.dossiers.periods import Period, containing
from tinhso.dossiers.periods import parse as parse_period
from tinhso.indices.methodology import load_method

CACHE_SECONDS = 300
KINDS = ("week", "month", "quarter", "year")
SERIES_LENGTH = {"week": 12, "month": 12, "quarter": 8, "year": 3}
GROUP_LABELS = {"transparency": ("Công khai, minh bạch", "Transparency"),
                "progress": ("Tiến độ giải quyết", "Progress"),
                "online_processing": ("Dịch vụ trực tuyến", "Online service"),
                "online_payment": ("Thanh toán trực tuyến", "Online payment"),
                "digitisation": ("Số hóa hồ sơ", "Digitisation"),
                "satisfaction": ("Mức độ hài lòng", "Satisfaction")}
BUCKETS = [("carried_over", "Kỳ trước chuyển sang", "Carried over"),
           ("received", "Tiếp nhận trong kỳ", "Received"),
           ("received_online", "— trực tuyến", "— online"), ("received_direct", "— trực tiếp", "— in person"),
           ("received_postal", "— bưu chính", "— by post"),
           ("finished_early", "Giải quyết trước hạn", "Finished early"),
           ("finished_on_due", "Giải quyết đúng hạn (ngày hẹn trả)", "Finished on the due date"),
           ("finished_late", "Giải quyết quá hạn", "Finished late"),
           ("in_progress_within", "Đang giải quyết trong hạn", "In progress within time"),
           ("in_progress_over", "Đang giải quyết quá hạn", "In progress over time"),
           ("paused", "Tạm dừng (bổ sung, nghĩa vụ tài chính)", "Paused (supplementation, fees)")]
OTHER_BUCKETS = [
    ("in_scope", "Mọi hồ sơ của kỳ", "Every dossier of the period"),
    ("paused_on_time", "Tạm dừng, còn trong hạn", "Paused, still within time"),
    ("with_result", "Giải quyết xong, có kết quả", "Completed with a result"),
    ("with_result_e_result", "Giải quyết xong, có kết quả điện tử", "Completed with an electronic result"),
    ("reuse", "Dùng lại dữ liệu số hóa (tiếp nhận trong kỳ)", "Reusing digitised data (received)"),
    ("from_store", "Giấy tờ lấy từ kho dữ liệu (tiếp nhận trong kỳ)", "Documents from the data store (received)"),
    ("population_data", "Dùng dữ liệu dân cư (tiếp nhận trong kỳ)", "Using population data (received)"),
    ("online_e_result", "Nộp trực tuyến, có kết quả điện tử", "Submitted online, with an electronic result"),
    ("online_pending", "Nộp trực tuyến, chưa giải quyết xong", "Submitted online, not yet finished"),
    ("paid_online", "Thanh toán trực tuyến (tiếp nhận trong kỳ)", "Paid online (received)"),
    ("fee_info", "Có thông tin phí, lệ phí (tiếp nhận trong kỳ)", "With fee information (received)"),
    ("fee_all_zero", "Phí, lệ phí bằng 0 (tiếp nhận trong kỳ)", "Fees all zero (received)"),
    ("attached", "Có tệp giấy tờ nộp kèm (tiếp nhận trong kỳ)", "With attached files (received)"),
    ("attached_e_result", "Có tệp nộp kèm và kết quả điện tử", "With attached files and an electronic result"),
    ("attached_pending", "Có tệp nộp kèm, chưa giải quyết xong", "With attached files, not yet finished"),
    ("unhappy_or_late", "Không hài lòng hoặc quá hạn", "Unsatisfied or late"),
]
"""The other lists a bucket filter can name (every rule column of :func:`tinhso.dossiers.rules.period_columns`
besides the progress :data:`BUCKETS`): the indicators' numbers link to some of them (:data:`INDICATOR_LISTS`)."""
BUCKET_SETS = {"finished_early,finished_on_due,in_progress_within,paused_on_time":
               ("Xử lý trước hạn, đúng hạn (chỉ số 2.1)", "Processed on or before time (indicator 2.1)")}
"""Several buckets a link carries together (any of them), named as one list."""

# The national public-service portal's codes (TrangThaiHoSo, KenhThucHien; research/wave2.md), named.
STATUSES = {1: ("Mới đăng ký", "Newly registered"), 2: ("Được tiếp nhận", "Received"),
            3: ("Không được tiếp nhận", "Not received"), 4: ("Đang xử lý", "In progress"),
            5: ("Yêu cầu bổ sung", "Supplement requested"),
            6: ("Yêu cầu thực hiện nghĩa vụ tài chính", "Fees or charges requested"),
            7: ("Công dân yêu cầu rút", "Withdrawn by the applicant"), 8: ("Dừng xử lý", "Handling stopped"),
            9: ("Đã xử lý xong", "Handled"), 10: ("Đã trả kết quả", "Result returned")}
CHANNELS = {1: ("Trực tiếp", "In person"), 2: ("Trực tuyến", "Online"), 3: ("Bưu chính", "By post")}


def _english(request) -> bool:
    return (getattr(request, "LANGUAGE_CODE", "vi") or "vi").startswith("en")


def _version() -> str:
    files = store.files()
    return f"{len(files)}-{files[-1].name if files else ''}"


def cached_indicators(period: str, level: str) -> dict:
    key = f"dossiers:page:{_version()}:{period}:{level}"
    found = cache.get(key)
    if found is None:
        found = service.indicators(period, level=level)
        cache.set(key, found, CACHE_SECONDS)
    return found


def latest_day() -> dt.date | None:
    """The last reception date in the store (the demo's twelve months may end before today)."""
    key = f"dossiers:page:{_version()}:latest"
    found = cache.get(key)
    if found is None:
        _names, rows = engines.run(f"SELECT MAX(received_date) FROM ({store.current_rows_sql()}) d", "duckdb")
        found = rows[0][0] if rows and rows[0][0] else ""
        cache.set(key, found, CACHE_SECONDS)
    return found or None


def _choose_period(request) -> Period:
    text = (request.GET.get("period") or "").strip()
    if text:
        return parse_period(text)
    kind = request.GET.get("kind") or "month"
    if kind not in KINDS:
        raise UserError("bad_kind", "Loại kỳ phải là week, month, quarter hoặc year",
                        "The period kind must be week, month, quarter or year", field="kind")
    # the period with the latest data; in its first days the one before (see period_text.default_period)
    return period_text.default_period(min(latest_day() or engines.today_local(), engines.today_local()), kind)


def _series(period: Period, level: str, code: str | None, english: bool = False) -> list[dict]:
    """The score (and rank) of a unit over the periods of the same kind up to ``period``."""
    periods, day = [], period.start
    for _ in range(SERIES_LENGTH[period.kind]):
        p = containing(day, period.kind)
        periods.append(p)
        day = p.start - dt.timedelta(days=1)
    version = _version()
    missing = [p.code for p in periods if cache.get(f"dossiers:page:{version}:{p.code}:{level}") is None]
    if missing:  # one pass over the store for all of them
        for (period_code, _level), doc in compute_many(missing, (level,)).items():
            cache.set(f"dossiers:page:{version}:{period_code}:{level}", doc, CACHE_SECONDS)
    out, today = [], engines.today_local()
    for p in reversed(periods):
        units = cached_indicators(p.code, level)["units"]
        unit = units[0] if code is None and units else next((u for u in units if u["code"] == code), None)
        out.append({"period": p.code, "total": unit["total"] if unit else None,
                    "rank": unit["rank"] if unit and code else None,
                    "groups": unit["groups"] if unit else {}})
        # how the chart names the point, and whether it is a period not over yet (drawn hollow, dashed)
        out[-1]["label"] = period_text.full_label(p, today, english)
        out[-1]["axis"] = period_text.axis_label(p, english)
        out[-1]["partial"] = period_text.is_partial(p, today)
    return out


def _group_rows(unit: dict, english: bool) -> list[dict]:
    method = load_method("svc-766")
    return [{"code": g, "label": GROUP_LABELS[g][1 if english else 0], "points": unit["groups"].get(g) if unit else None,
             "max": method.nodes[g].max} for g in GROUPS]


def _link(**params) -> str:
    return "/dich-vu-cong/ho-so?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


def _allowed(request):
    """:func:`access.agencies_for` of the reader, asked once per request: the agency codes they may
    list (``access.ALL``: every one), or the error it raised (a visitor: 401; no right: 403)."""
    if not hasattr(request, "_dossier_access"):
        try:
            request._dossier_access = access.agencies_for(request.user)
        except UserError as error:
            request._dossier_access = error
    return request._dossier_access


def _list_scope(request):
    """Which numbers may lead to the dossiers behind them: ``True`` every one (staff who see every
    agency), ``False`` none (a visitor: the list is staff-only, the link led to a sign-in page that gave
    no reason; signed in without the right to list dossiers: the link would be a 403; the page says so
    once, see :func:`_list_note`), else the set of agency codes the account may list."""
    allowed = _allowed(request)
    if isinstance(allowed, UserError):
        return False
    return True if allowed is access.ALL else set(allowed)


def _list_note(request) -> str:
    """Why the numbers carry no link to the dossiers behind them: "visitor" (the lists are for staff,
    who sign in), "no_right" (signed in without the right to list dossiers), or "" (they link)."""
    allowed = _allowed(request)
    if isinstance(allowed, UserError):
        return "visitor" if allowed.status == 401 else "no_right"
    return ""


def _gated(scope, agency: str | None, url: str) -> str:
    """``url`` when the reader may open it (see :func:`_list_scope`), else "" (the number is shown
    without a link). A list without an agency is narrowed to the reader's own agencies, so it is open
    to every account that may list some."""
    if scope is True:
        return url
    if scope is False:
        return ""
    return url if agency is None or agency in scope else ""


def _buckets(unit: dict, period: Period, agency: str | None, english: bool, scope=True) -> list[dict]:
    buckets = unit.get("buckets", {}) if unit else {}
    return [{"code": c, "label": en if english else vi, "count": buckets.get(c, 0),
             "href": _gated(scope, agency, _link(period=period.code, bucket=c, agency=agency))}
            for c, vi, en in BUCKETS]


def _agency_names(english: bool) -> dict[str, str]:
    """``{agency code: its name in the page's language}`` (the English name where there is one)."""
    rows = Agency.objects.values_list("code", "name", "name_en")
    return {code: en if english and en else vi for code, vi, en in rows}


def _league(doc: dict, period: Period, names: dict[str, str], scope=True) -> list[dict]:
    rows = []
    for u in doc["units"]:
        rows.append({**u, "name": names.get(u["code"], u["name"]), "href": f"/dich-vu-cong/co-quan/{u['code']}?period={period.code}",
                     "dossiers": _gated(scope, u["code"], _link(period=period.code, agency=u["code"])),
                     "group_list": [u["groups"].get(g) for g in GROUPS]})
    return rows


def _common(request, period: Period) -> dict:
    english = _english(request)
    today = engines.today_local()
    # The other kinds of period around the same day: the period's last day, or today while it runs
    # (the month in progress offers this week, not the week of its last day, still to come).
    around = [containing(max(period.start, min(period.end, today)), k) for k in KINDS]
    return {
        "period": period, "kinds": [(k, p.code) for k, p in zip(KINDS, around)],
        "tabs": [{"kind": k, "code": p.code, "label": period_text.label(p, english),
                  "partial": period_text.partial_note(p, today, english)} for k, p in zip(KINDS, around)],
        "period_label": period_text.label(period, english),
        "period_partial": period_text.partial_note(period, today, english),
        "list_note": _list_note(request), "next_path": request.get_full_path(),
        "synthetic": DossierImport.objects.filter(synthetic=True).exists(),
        "mode": service._mode(None), "english": english,
        "group_heads": [GROUP_LABELS[g][1 if english else 0] for g in GROUPS],
        "own_agencies": list(Agency.objects.filter(members__user_id=request.user.pk))
        if request.user.is_authenticated else [],
    }


def _due_soon(request, agency: str | None, names: dict[str, str]) -> dict | None:
    """Due soon for staff (with dossier codes and officers); for the public, the counts per agency."""
    allowed = _allowed(request)
    if isinstance(allowed, UserError):
        allowed = False
    result = service.due_soon(hours=24, agency=agency)
    if allowed is not access.ALL:
        if allowed:
            result["agencies"] = [a for a in result["agencies"] if a["code"] in allowed]
        else:
            result["agencies"] = [{"code": a["code"], "name": a["name"], "count": a["count"], "officers": []}
                                  for a in result["agencies"]]
    result["detailed"] = allowed is not False
    for a in result["agencies"]:
        a["name"] = names.get(a["code"], a["name"])
    # The page shows local times as people read them ("09/12/2026 08:52"), not the API's ISO text.
    result["until_text"] = _local_text(result["until"])
    for a in result["agencies"]:
        for o in a["officers"]:
            for d in o["dossiers"]:
                d["due_text"] = _local_text(d["due"])
    return result


def _label(table: dict, code, english: bool) -> str:
    """A code's name in the page's language; an unknown code as it is."""
    try:
        vi, en = table[int(code)]
    except (KeyError, TypeError, ValueError):
        return "" if code is None else str(code)
    return en if english else vi


def _local_text(iso: str | None) -> str:
    """``2026-12-09T08:52:00`` (local, naive) → ``09/12/2026 08:52``; ``""`` for none."""
    return dt.datetime.fromisoformat(iso).strftime("%d/%m/%Y %H:%M") if iso else ""


def _chart_labels(english: bool) -> dict:
    return {"total": "Total (of 100)" if english else "Tổng điểm (/100)",
            "rank": "Rank" if english else "Thứ hạng",
            "partial": "period not over yet" if english else "kỳ chưa kết thúc"}


@require_GET
def index(request):
    try:
        period = _choose_period(request)
    except UserError as error:
        return _error_page(request, error)
    if not store.files():
        return render(request, "dossiers/index.html", {**_common(request, period), "empty": True})
    province_doc = cached_indicators(period.code, "province")
    province = province_doc["units"][0] if province_doc["units"] else None
    agencies = cached_indicators(period.code, "agency")
    communes = cached_indicators(period.code, "commune")
    series = _series(period, "province", None, _english(request))
    english = _english(request)
    names = _agency_names(english)
    scope = _list_scope(request)
    return render(request, "dossiers/index.html", {
        **_common(request, period), "province": province, "groups": _group_rows(province, english),
        "buckets": _buckets(province, period, None, english, scope),
        "province_dossiers": _gated(scope, None, _link(period=period.code)),
        "departments": _league(agencies, period, names, scope), "communes": _league(communes, period, names, scope),
        "chart": {"series": series, "groups": [GROUP_LABELS[g][1 if english else 0] for g in GROUPS],
                  "labels": _chart_labels(english)},
        "due": _due_soon(request, None, names),
    })


INDICATOR_LISTS = {
    "2.1": ("finished_early,finished_on_due,in_progress_within,paused_on_time", ""),
    "2.2": (None, "with_result"),
    "4.3": ("reuse", "received"),
    "4.4": ("from_store", "received"),
    "4.5b": ("population_data", "received"),
    "5.4": (None, ""),
}
"""The dossier lists behind an indicator's numerator and denominator, where one exists: list buckets
(:func:`tinhso.dossiers.rules.period_columns`; several = any of them; "" = every dossier in scope) whose
count is the number itself. The others (3.3, 3.6, 4.1, 4.2, 4.5a, …) count per procedure kind or
subtract, and have no list that holds exactly their dossiers: their numbers are shown without a link."""


RATE_UNITS = {"2.2": ("ngày làm việc", "working days")}
"""Indicators whose value is not a percent: 2.2 is the average working days a dossier completed with a
result took (:mod:`tinhso.dossiers.scoring`). Every other value is a rate in percent."""
INDICATOR_NAMES = {"3.1": ("Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến", "Procedures offered as online services"),
                   "3.2": ("Tỷ lệ TTHC trực tuyến có phát sinh hồ sơ trực tuyến",
                           "Online procedures with dossiers submitted online")}
"""The names of the indicators the ``svc-766`` method has no node for (computed, not scored)."""


def _indicator_name(code: str, english: bool) -> str:
    node = load_method("svc-766").nodes.get(code)
    vi, en = (node.name_vi, node.name_en) if node else INDICATOR_NAMES.get(code, (code, code))
    return en if english and en else vi


@require_GET
def agency_page(request, code: str):
    agency = get_object_or_404(Agency, code=code)
    try:
        period = _choose_period(request)
    except UserError as error:
        return _error_page(request, error)
    level = "agency" if agency.kind == AgencyKind.DEPARTMENT else "commune"
    english = _english(request)
    scope = _list_scope(request)
    unit = None
    if store.files():
        unit = next((u for u in cached_indicators(period.code, level)["units"] if u["code"] == code), None)
    indicators = []
    for key, ind in (unit or {}).get("indicators", {}).items():
        links = {}
        if ind.get("source") == "records" and key in INDICATOR_LISTS:
            for part, bucket in zip(("numerator_href", "denominator_href"), INDICATOR_LISTS[key]):
                if bucket is not None and ind.get(part.split("_")[0]) is not None:
                    links[part] = _gated(scope, code, _link(period=period.code, bucket=bucket, agency=code))
        unit_vi, unit_en = RATE_UNITS.get(key, ("%", "%"))
        indicators.append({"code": key, **ind, **links, "name": _indicator_name(key, english),
                           "rate_unit": unit_en if english else unit_vi})
    return render(request, "dossiers/agency.html", {
        **_common(request, period), "agency": agency, "agency_name": pick(agency.name, agency.name_en), "unit": unit, "empty": not store.files(),
        "groups": _group_rows(unit, english), "buckets": _buckets(unit, period, code, english, scope),
        "indicators": indicators, "all_dossiers": _gated(scope, code, _link(period=period.code, agency=code)),
        "chart": {"series": _series(period, level, code, english) if store.files() else [],
                  "groups": [GROUP_LABELS[g][1 if english else 0] for g in GROUPS],
                  "labels": _chart_labels(english)},
        "due": _due_soon(request, code, _agency_names(english)) if store.files() else None,
    })


FILTERS = ("period", "bucket", "since", "until", "agency", "ma_tthc", "procedure", "status", "channel", "q")
FILTER_LABELS = {"period": ("Kỳ", "Period"), "bucket": ("Nhóm", "List"), "days": ("Tiếp nhận", "Received"),
                 "agency": ("Cơ quan", "Agency"), "ma_tthc": ("Thủ tục", "Procedure"),
                 "procedure": ("Thủ tục", "Procedure"),
                 "status": ("Trạng thái", "Status"), "channel": ("Kênh", "Channel"), "q": ("Tìm", "Search")}
DROPS = {"period": ("period", "bucket"), "days": ("since", "until")}
"""Filters removed together: a bucket needs its period; the reception days are one filter."""


def _bucket_label(value: str, english: bool) -> str:
    """A bucket filter named in the page's language: one list, a named set of them (:data:`BUCKET_SETS`)
    or the names of several joined (an unknown code never gets here: the service refuses it)."""
    if value in BUCKET_SETS:
        return BUCKET_SETS[value][1 if english else 0]
    names = {c: en if english else vi for c, vi, en in (*BUCKETS, *OTHER_BUCKETS)}
    return ", ".join(names.get(b, b) for b in value.split(","))


def _bucket_choices(current: str, english: bool) -> tuple[list, list]:
    """The "Nhóm" dropdown: the progress buckets, then every list an indicator's number links to
    (:data:`INDICATOR_LISTS`), and the current filter when it is neither, so that the form keeps the
    list one arrived at when another filter is added."""
    progress = [(c, en if english else vi) for c, vi, en in BUCKETS]
    known = {c for c, _label in progress}
    linked = []
    for parts in INDICATOR_LISTS.values():
        for value in parts:
            if value and value not in known:
                known.add(value)
                linked.append((value, _bucket_label(value, english)))
    if current and current not in known:
        linked.append((current, _bucket_label(current, english)))
    return progress, linked


PAGE_SIZE = 50
DAY_FIELDS = {"since": ("Tiếp nhận từ ngày", "Received on or after"),
              "until": ("Tiếp nhận đến ngày", "Received on or before")}
"""The reception-day fields as the list's form labels them (errors name them so, not ``since:``)."""


def _reception_days(since: str, until: str) -> tuple[dt.date | None, dt.date | None]:
    """:func:`tinhso.core.timebounds.day_range` with its errors naming the form's fields."""
    days = []
    for key, value in (("since", since), ("until", until)):
        try:
            days.append(parse_day(value, key))
        except UserError as error:
            vi, en = DAY_FIELDS[key]
            raise UserError(error.code, vi + error.message_vi.removeprefix(key), en + error.message_en.removeprefix(key),
                            field=key, details=error.details) from None
    first, last = days
    if first and last and last < first:
        (since_vi, since_en), (until_vi, until_en) = DAY_FIELDS["since"], DAY_FIELDS["until"]
        a, b = first.strftime("%d/%m/%Y"), last.strftime("%d/%m/%Y")
        raise UserError("bad_date_range", f"“{until_vi}” ({b}) sớm hơn “{since_vi}” ({a}).",
                        f"“{until_en}” ({b}) is earlier than “{since_en}” ({a}).", field="until",
                        details={"since": first.isoformat(), "until": last.isoformat()})
    return first, last


def _error_page(request, error: UserError):
    """A refusal as a page: its message in the page's language only."""
    message = error.message_en if _english(request) else error.message_vi
    return render(request, "dossiers/error.html", {"error": error, "message": message}, status=error.status or 400)


def _days_text(since: dt.date | None, until: dt.date | None, english: bool) -> str:
    """The reception days as people read them: ``29/10/2025``, ``01/10/2025 – 29/10/2025``, from, until."""
    def day(d):
        return d.strftime("%d/%m/%Y")
    if since and until:
        return day(since) if since == until else f"{day(since)} – {day(until)}"
    if since:
        return f"{'from' if english else 'từ'} {day(since)}"
    return f"{'until' if english else 'đến hết'} {day(until)}"


def _period_text(code: str, english: bool) -> str:
    """A period filter as a reader writes it ("Tháng 10/2025"); a code that is no period, as it is."""
    try:
        return period_text.full_label(parse_period(code), engines.today_local(), english)
    except UserError:
        return code


def _active_filters(query: dict, since: dt.date | None, until: dt.date | None, english: bool,
                    names: dict[str, str], procedures: dict[str, str], matched: list[str] | None) -> list[dict]:
    """The filters the list is narrowed by, each named in the page's language with a link to the list
    without it (back to its first page); a procedure by its name, its code as the detail."""
    shown = {"bucket": lambda v: _bucket_label(v, english), "period": lambda v: _period_text(v, english),
             "agency": lambda v: names.get(v, v), "status": lambda v: _label(STATUSES, v, english),
             "channel": lambda v: _label(CHANNELS, v, english), "ma_tthc": lambda v: procedures.get(v, v)}
    out = []
    for key in ("period", "bucket", "days", "agency", "ma_tthc", "procedure", "status", "channel", "q"):
        detail = ""
        if key == "days":
            if not (since or until):
                continue
            value = _days_text(since, until, english)
        elif not query.get(key):
            continue
        elif key == "procedure" and matched and len(matched) == 1:
            value, detail = procedures.get(matched[0], matched[0]), matched[0]
        elif key == "procedure":
            value = f"“{query[key]}”"
            if matched:
                detail = (f"{len(matched)} procedures" if english else f"{len(matched)} thủ tục")
        else:
            value = shown.get(key, str)(query[key])
            if key == "ma_tthc" and value != query[key]:
                detail = query[key]
        dropped = DROPS.get(key, (key,))
        out.append({"key": key, "label": FILTER_LABELS[key][1 if english else 0], "value": value, "detail": detail,
                    "remove": _link(**{k: v for k, v in query.items() if k not in dropped})})
    return out


PERIOD_CHOICES = {"month": 12, "quarter": 4, "year": 3}
PERIOD_GROUPS = {"month": ("Tháng", "Months"), "quarter": ("Quý", "Quarters"), "year": ("Năm", "Years"),
                 "week": ("Tuần", "Weeks")}


def _period_choices(current: str, english: bool) -> list[tuple[str, list[tuple[str, str]]]]:
    """The "Kỳ" dropdown: the last months, quarters and years up to the latest data, each named as a
    reader writes it (never ``2025-10``), grouped by kind; the current filter (a week from a link, an
    older month) kept in its group when it is none of them."""
    today = engines.today_local()
    anchor = min(latest_day() or today, today)
    groups: dict[str, list[tuple[str, str]]] = {}
    for kind, count in PERIOD_CHOICES.items():
        day = anchor
        for _ in range(count):
            p = containing(day, kind)
            groups.setdefault(kind, []).append((p.code, period_text.full_label(p, today, english)))
            day = p.start - dt.timedelta(days=1)
    if current and all(current != code for rows in groups.values() for code, _label in rows):
        try:
            p = parse_period(current)
            groups.setdefault(p.kind, []).insert(0, (p.code, period_text.full_label(p, today, english)))
        except UserError:
            pass
    return [(PERIOD_GROUPS[kind][1 if english else 0], rows) for kind, rows in groups.items()]


def _procedure_field(filters: dict, procedures: dict[str, str]) -> str:
    """What the form's procedure field holds: the text typed; arriving by a link's ``ma_tthc``, that
    procedure's name when the name leads back to it alone (else its code), so that sending the form again
    keeps the same list."""
    if filters.get("procedure") or not filters.get("ma_tthc"):
        return filters.get("procedure", "")
    code = filters["ma_tthc"]
    name = procedures.get(code)
    if name and textsearch.procedure_codes(name) == [code]:
        return name
    return code


@require_GET
def dossier_list(request):
    """The dossiers behind a number (staff: every agency with ``view_all_dossiers``, else one's own)."""
    try:
        allowed = access.agencies_for(request.user)
    except UserError as error:
        if error.status == 401:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path(), "/dang-nhap")
        return _error_page(request, error)
    filters = {k: request.GET.get(k, "").strip() for k in FILTERS}
    # "a, b" and "a,b" are the same list: one spelling, so that the dropdown finds it
    filters["bucket"] = ",".join(b.strip() for b in filters["bucket"].split(",") if b.strip())
    try:
        # the reception days are checked here, before the store is read: a bad or reversed day is a 400
        # page naming the field as the form labels it
        since, until = _reception_days(filters["since"], filters["until"])
        page = max(1, int(request.GET.get("page") or 1))
        chosen = access.restrict({k: v for k, v in filters.items() if v}, allowed)
        result = service.list_dossiers(chosen, page=page, page_size=PAGE_SIZE)
        pages = max(1, -(-result["total"] // result["page_size"]))
        missing_page = None
        if page > pages:  # a page past the last (an old link, a hand-edited one): the last page, said so
            missing_page, page = page, pages
            result = service.list_dossiers(chosen, page=page, page_size=PAGE_SIZE)
    except (UserError, ValueError) as error:
        if not isinstance(error, UserError):
            error = UserError("bad_page", "Trang phải là số", "The page must be a number", field="page")
        return _error_page(request, error)
    query = {k: v for k, v in filters.items() if v}
    english = _english(request)
    agencies = Agency.objects.all() if allowed is access.ALL else Agency.objects.filter(code__in=allowed)
    names = _agency_names(english)
    # the procedures named from the catalogue (a small table), for this page's rows and the filters only
    matched = textsearch.procedure_codes(filters["procedure"]) if filters["procedure"] else None
    procedures = service.procedure_names([i["ma_tthc"] for i in result["items"]]
                                         + [filters["ma_tthc"]] + (matched or [])[:1], english)
    for item in result["items"]:  # the codes named, the times as people read them
        item["agency_name"] = names.get(item["agency"], item["agency"])
        item["procedure_name"] = procedures.get(item["ma_tthc"], "")
        item["status_text"] = _label(STATUSES, item.get("status"), english)
        item["channel_text"] = _label(CHANNELS, item.get("channel"), english)
        for key in ("received_at", "due_pause_at", "end_at"):
            item[f"{key}_text"] = _local_text(item.get(key))
    progress, linked = _bucket_choices(filters["bucket"], english)
    return render(request, "dossiers/list.html", {
        "filters": filters, "result": result, "pages": pages, "english": english,
        # counts as the page's language groups digits (200.000 / 200,000)
        "total_text": grouped(result["total"], english), "pages_text": grouped(pages, english),
        "periods": _period_choices(filters["period"], english),
        "missing_page": missing_page,
        "active": _active_filters(query, since, until, english, names, procedures, matched),
        "no_procedure": matched == [],
        "procedure_field": _procedure_field(filters, procedures),
        "procedure_choices": service.procedure_choices(english),
        "synthetic": any(i["synthetic"] for i in result["items"]),
        "buckets": progress, "linked_buckets": linked,
        "statuses": [(str(c), en if english else vi) for c, (vi, en) in STATUSES.items()],
        "channels": [(str(c), en if english else vi) for c, (vi, en) in CHANNELS.items()],
        "agencies": [(a.code, names.get(a.code, a.name)) for a in agencies],
        # a reader confined to some agencies, on a list not filtered by agency: the count is theirs only
        "limited_to": ", ".join(sorted(names.get(c, c) for c in allowed))
        if allowed is not access.ALL and not filters.get("agency") else "",
        "csv": "/api/v1/dossiers/records.csv?" + urlencode(query),
        "prev": _link(**query, page=page - 1) if page > 1 else None,
        "next": _link(**query, page=page + 1) if page < pages else None,
    })
