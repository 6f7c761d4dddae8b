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
from tinhso.core.i18n import pick
from tinhso.core.timebounds import day_range
from tinhso.dossiers import access, service, store
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
    return containing(min(latest_day() or engines.today_local(), engines.today_local()), kind)


def _series(period: Period, level: str, code: str | None) -> list[dict]:
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
    out = []
    for p in reversed(periods):
        units = cached_indicators(p.code, level)["units"]
        unit = units[0] if code is None and units else next((u for u in units if u["code"] == code), None)
        out.append({"period": p.code, "total": unit["total"] if unit else None,
                    "rank": unit["rank"] if unit and code else None,
                    "groups": unit["groups"] if unit else {}})
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
    """Which numbers may lead to the dossiers behind them: ``True`` every one (a visitor is led to the
    staff sign-in; staff who see every agency), ``False`` none (signed in without the right to list
    dossiers: the link would be a 403), else the set of agency codes the account may list."""
    allowed = _allowed(request)
    if isinstance(allowed, UserError):
        return allowed.status == 401
    return True if allowed is access.ALL else set(allowed)


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
    return {
        # The other kinds of period around the same day: the period's last day, or today while it runs
        # (the month in progress offers this week, not the week of its last day, still to come).
        "period": period, "kinds": [(k, containing(max(period.start, min(period.end, engines.today_local())), k).code)
                                    for k in KINDS],
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


@require_GET
def index(request):
    try:
        period = _choose_period(request)
    except UserError as error:
        return render(request, "dossiers/error.html", {"error": error}, status=400)
    if not store.files():
        return render(request, "dossiers/index.html", {**_common(request, period), "empty": True})
    province_doc = cached_indicators(period.code, "province")
    province = province_doc["units"][0] if province_doc["units"] else None
    agencies = cached_indicators(period.code, "agency")
    communes = cached_indicators(period.code, "commune")
    series = _series(period, "province", None)
    english = _english(request)
    names = _agency_names(english)
    scope = _list_scope(request)
    return render(request, "dossiers/index.html", {
        **_common(request, period), "province": province, "groups": _group_rows(province, english),
        "buckets": _buckets(province, period, None, english, scope),
        "province_dossiers": _gated(scope, None, _link(period=period.code)),
        "departments": _league(agencies, period, names, scope), "communes": _league(communes, period, names, scope),
        "chart": {"series": series, "groups": [GROUP_LABELS[g][1 if english else 0] for g in GROUPS],
                  "labels": {"total": "Total (of 100)" if english else "Tổng điểm (/100)",
                             "rank": "Rank" if english else "Thứ hạng"}},
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


@require_GET
def agency_page(request, code: str):
    agency = get_object_or_404(Agency, code=code)
    try:
        period = _choose_period(request)
    except UserError as error:
        return render(request, "dossiers/error.html", {"error": error}, status=400)
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
        indicators.append({"code": key, **ind, **links})
    return render(request, "dossiers/agency.html", {
        **_common(request, period), "agency": agency, "agency_name": pick(agency.name, agency.name_en), "unit": unit, "empty": not store.files(),
        "groups": _group_rows(unit, english), "buckets": _buckets(unit, period, code, english, scope),
        "indicators": indicators, "all_dossiers": _gated(scope, code, _link(period=period.code, agency=code)),
        "chart": {"series": _series(period, level, code) if store.files() else [],
                  "groups": [GROUP_LABELS[g][1 if english else 0] for g in GROUPS],
                  "labels": {"total": "Total (of 100)" if english else "Tổng điểm (/100)",
                             "rank": "Rank" if english else "Thứ hạng"}},
        "due": _due_soon(request, code, _agency_names(english)) if store.files() else None,
    })


FILTERS = ("period", "bucket", "since", "until", "agency", "ma_tthc", "status", "channel", "q")
FILTER_LABELS = {"period": ("Kỳ", "Period"), "bucket": ("Nhóm", "Bucket"), "days": ("Tiếp nhận", "Received"),
                 "agency": ("Cơ quan", "Agency"), "ma_tthc": ("Mã TTHC", "Procedure"),
                 "status": ("Trạng thái", "Status"), "channel": ("Kênh", "Channel"), "q": ("Tìm", "Search")}
DROPS = {"period": ("period", "bucket"), "days": ("since", "until")}
"""Filters removed together: a bucket needs its period; the reception days are one filter."""


def _days_text(since: dt.date | None, until: dt.date | None, english: bool) -> str:
    """The reception days as people read them: ``29/10/2025``, ``01/10/2025 – 29/10/2025``, from, until."""
    def day(d):
        return d.strftime("%d/%m/%Y")
    if since and until:
        return day(since) if since == until else f"{day(since)} – {day(until)}"
    if since:
        return f"{'from' if english else 'từ'} {day(since)}"
    return f"{'until' if english else 'đến hết'} {day(until)}"


def _active_filters(query: dict, since: dt.date | None, until: dt.date | None, english: bool,
                    names: dict[str, str]) -> list[dict]:
    """The filters the list is narrowed by, each named in the page's language with a link to the list
    without it (back to its first page)."""
    buckets = {c: en if english else vi for c, vi, en in BUCKETS}
    shown = {"bucket": lambda v: ", ".join(buckets.get(b.strip(), b.strip()) for b in v.split(",")),
             "agency": lambda v: names.get(v, v), "status": lambda v: _label(STATUSES, v, english),
             "channel": lambda v: _label(CHANNELS, v, english)}
    out = []
    for key in ("period", "bucket", "days", "agency", "ma_tthc", "status", "channel", "q"):
        if key == "days":
            if not (since or until):
                continue
            value = _days_text(since, until, english)
        elif not query.get(key):
            continue
        else:
            value = shown.get(key, str)(query[key])
        dropped = DROPS.get(key, (key,))
        out.append({"key": key, "label": FILTER_LABELS[key][1 if english else 0], "value": value,
                    "remove": _link(**{k: v for k, v in query.items() if k not in dropped})})
    return out


@require_GET
def dossier_list(request):
    """The dossiers behind a number (staff: every agency with ``view_all_dossiers``, else one's own)."""
    try:
        allowed = access.agencies_for(request.user)
    except UserError as error:
        if error.status == 401:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path(), "/dang-nhap")
        return render(request, "dossiers/error.html", {"error": error}, status=error.status)
    filters = {k: request.GET.get(k, "").strip() for k in FILTERS}
    try:
        # the reception days are checked here, before the store is read: a bad or reversed day is a 400
        # page naming the parameter
        since, until = day_range(filters["since"], filters["until"])
        page = max(1, int(request.GET.get("page") or 1))
        chosen = access.restrict({k: v for k, v in filters.items() if v}, allowed)
        result = service.list_dossiers(chosen, page=page, page_size=50)
    except (UserError, ValueError) as error:
        if not isinstance(error, UserError):
            error = UserError("bad_page", "Trang phải là số", "The page must be a number", field="page")
        return render(request, "dossiers/error.html", {"error": error}, status=error.status or 400)
    query = {k: v for k, v in filters.items() if v}
    pages = max(1, -(-result["total"] // result["page_size"]))
    english = _english(request)
    agencies = Agency.objects.all() if allowed is access.ALL else Agency.objects.filter(code__in=allowed)
    names = _agency_names(english)
    for item in result["items"]:  # the codes named, the times as people read them
        item["agency_name"] = names.get(item["agency"], item["agency"])
        item["status_text"] = _label(STATUSES, item.get("status"), english)
        item["channel_text"] = _label(CHANNELS, item.get("channel"), english)
        for key in ("received_at", "due_pause_at", "end_at"):
            item[f"{key}_text"] = _local_text(item.get(key))
    return render(request, "dossiers/list.html", {
        "filters": filters, "result": result, "pages": pages, "english": english,
        "active": _active_filters(query, since, until, english, names),
        "synthetic": any(i["synthetic"] for i in result["items"]),
        "buckets": [(c, en if english else vi) for c, vi, en in BUCKETS],
        "statuses": [(str(c), en if english else vi) for c, (vi, en) in STATUSES.items()],
        "agencies": [(a.code, names.get(a.code, a.name)) for a in agencies],
        # a reader confined to some agencies, on a list not filtered by agency: the count is theirs only
        "limited_to": ", ".join(sorted(names.get(c, c) for c in allowed))
        if allowed is not access.ALL and not filters.get("agency") else "",
        "csv": "/api/v1/dossiers/records.csv?" + urlencode(query),
        "prev": _link(**query, page=page - 1) if page > 1 else None,
        "next": _link(**query, page=page + 1) if page < pages else None,
    })
