"""The IOC wall pages: ``/ioc`` (staff with ``ioc.view_wall``) and ``/ioc/cong-khai`` (public).

Thin: the figures come from :func:`tinhso.ioc.summary.summary`; the page renders them once on
the server (first paint without waiting for JavaScript) and ``static/ioc/wall.js`` refreshes
them from ``/api/v1/ioc/summary`` every few seconds and draws the charts and maps.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from tinhso.core import clientaddr, ratelimit
from tinhso.core.errors import UserError
from tinhso.core.i18n import english_now, local_name
from tinhso.core.modules import optional_import
from tinhso.ioc import access, summary
from tinhso.ioc.models import Camera
from tinhso.web import basemap

PUBLIC_CACHE_SECONDS = 30
PUBLIC_LIMIT_PER_MINUTE = 120
OPEN_REPORTS_LIMIT = 5000
REFRESH_SECONDS = 5
TV_SECONDS = 20


def _period(request) -> str:
    period = request.GET.get("period", "today")
    return period if period in summary.PERIODS else "today"


def _error_page(request, err: UserError):
    return render(request, "ioc/denied.html", {"error": err}, status=err.status)


ILLUSTRATIVE = (("(minh họa / synthetic)", "(illustrative)"), ("(minh họa)", "(illustrative)"))


def _illustrative(text: str) -> str:
    """A demo camera's stored Vietnamese mark "(minh họa)" as "(illustrative)" on an English page."""
    if english_now():
        for vi, en in ILLUSTRATIVE:
            text = text.replace(vi, en)
    return text


def _cameras(public: bool) -> list[dict]:
    qs = Camera.objects.all()
    if public:
        qs = qs.filter(public=True)
    return [{"id": c.pk, "name": _illustrative(c.name), "lat": c.lat, "lon": c.lon, "owner": _illustrative(c.owner),
             "status": c.status,
             "status_label": str(c.get_status_display()), "kind": c.stream_kind,
             "url": c.stream_url if (c.status == Camera.Status.ONLINE) else "", "synthetic": c.synthetic}
            for c in qs]


def wall(request):
    if not request.user.is_authenticated:
        return redirect(f"{settings.LOGIN_URL}?next={request.get_full_path()}")
    try:
        unit = access.wall_scope(request.user, request.GET.get("unit") or None)
        figures = summary.summary(period=_period(request), unit=unit)
    except UserError as err:
        return _error_page(request, err)
    return _render_wall(request, figures, public=False)


def public_figures(request, period: str) -> dict:
    if period not in summary.PERIODS:
        period = "today"
    ratelimit.hit(f"ioc:public:ip:{clientaddr.client_ip(request)}", PUBLIC_LIMIT_PER_MINUTE, details={"scope": "ioc-public"})
    key = f"ioc:public:{period}:{timezone.localdate().isoformat()}"
    figures = cache.get(key)
    if figures is None:
        figures = summary.summary(period=period, public=True)
        cache.set(key, figures, PUBLIC_CACHE_SECONDS)
    return figures


def public_wall(request):
    try:
        figures = public_figures(request, _period(request))
    except UserError as err:
        return _error_page(request, err)
    return _render_wall(request, figures, public=True)


def reports_queue(user) -> str:
    """Where the wall's report figures and map points lead this viewer: the IOC queue for an operator,
    the units' queue for handlers, supervisors and leaders (who may not open the IOC's), else nowhere."""
    from tinhso.reports.permissions import HANDLER, LEADER, OPERATOR, SUPERVISOR, actor_for_user

    roles = actor_for_user(user).roles
    if OPERATOR in roles:
        return "/ioc/phan-anh"
    if roles & {HANDLER, SUPERVISOR, LEADER}:
        return "/don-vi/phan-anh"
    return ""


def _queue_spans_units(user, queue: str) -> bool:
    """Whether ``queue`` lists more than one unit's reports for this viewer (the IOC's; the units' queue
    of province-wide staff or of someone in several units), so that a unit's wall must name its unit."""
    from tinhso.reports.permissions import actor_for_user

    if queue == "/ioc/phan-anh":
        return True
    actor = actor_for_user(user)
    return actor.province_wide or len(actor.unit_ids) > 1


def _dossier_lists(user, agency: str | None) -> bool:
    """Whether this viewer may open the dossier list of ``agency`` (``None``: every agency's)."""
    access_module = optional_import("tinhso.dossiers.access")
    if access_module is None or user is None or not user.is_authenticated:
        return False
    try:
        allowed = access_module.agencies_for(user)
    except UserError:
        return False
    return allowed is access_module.ALL or (agency is not None and agency in allowed)


def links(request, figures: dict, *, public: bool, queue: str) -> dict:
    """Where each tile leads: the list behind the figure, filtered as far as the target page allows.

    Report figures: the viewer's queue (``/ioc/phan-anh`` or ``/don-vi/phan-anh``, already limited to a
    unit's own reports for unit staff), narrowed to the reports the tile counts: "received" opens every
    state received on the wall's days (``state=all&since=<start>&until=<end>``, local days, both
    included); the rates are shares of those, so their tiles open the reports they divide by: on time,
    the resolved ones (``resolved=1``; each row says whether it was resolved on time), satisfaction,
    the rated ones (``rated=1``; each row shows its rating); the backlog tile the reports overdue now
    (``overdue=1``); a wall scoped to a unit (``figures["unit"]``)
    adds ``unit=<code>`` where the queue spans several units (the IOC's; the units' queue of
    province-wide staff; a unit's own queue is that unit's already, whatever it asks for). The commune map's
    polygons add ``commune=<code>`` to the link of the figure they are shaded by (``wall.js``). Without
    a queue (the public wall), the public statistics of the same days. Dossier figures: the dossiers
    behind the number (``/dich-vu-cong/ho-so`` with period, bucket and agency) for staff who may list
    them, else the agency's or the province's 766 page of the same period."""
    since_until = "?" + urlencode({"since": figures["start"], "until": figures["end"]})
    if queue and not public:
        unit = {"unit": figures["unit"]} if figures.get("unit") and _queue_spans_units(request.user, queue) else {}
        days = {"state": "all", "since": figures["start"], "until": figures["end"]}
        received = f"{queue}?" + urlencode({**days, **unit})
        on_time = f"{queue}?" + urlencode({**days, "resolved": "1", **unit})
        satisfaction = f"{queue}?" + urlencode({**days, "rated": "1", **unit})
        overdue = f"{queue}?" + urlencode({"overdue": "1", **unit})
    else:
        received = on_time = satisfaction = overdue = "/phan-anh/thong-ke" + since_until
    out = {"received": received, "on_time": on_time, "satisfaction": satisfaction, "overdue": overdue}
    d = figures.get("dossiers") or {}
    agency, period = d.get("scope"), d.get("basis_period")
    page = f"/dich-vu-cong/co-quan/{agency}" if agency else "/dich-vu-cong"
    page += "?" + urlencode({"period": period}) if period else ""
    listed = not public and _dossier_lists(request.user, agency)

    def dossiers(bucket: str) -> str:
        """The list of the bucket in the 766 period holding the wall's days (``basis_period``: the month for
        today and this month, the ISO week for this week), narrowed to the days the tile counts
        (``since``/``until``: today, the week or the month to date), so that it counts what the tile does."""
        if not listed:
            return page
        days = (("since", figures.get("start")), ("until", figures.get("end")))
        return "/dich-vu-cong/ho-so?" + urlencode({k: v for k, v in (("period", period), ("bucket", bucket), *days,
                                                                     ("agency", agency)) if v})
    out.update(d_received=dossiers("received"), d_online=dossiers("received_online"), d_on_time=page,
               d_due=page + "#sap-den-han", d_score=page)
    return out


def _unit_groups(units: list[dict]) -> list[dict]:
    """The wall's unit choice: units grouped by kind (departments, commune committees…), each group and
    unit named in the page's language and ordered by that name."""
    from tinhso.core.text import fold
    from tinhso.reports.models import UnitKind

    groups: dict[str, list[dict]] = {}
    for u in units:
        groups.setdefault(u["kind"], []).append({**u, "label": local_name(u)})
    order = {kind: i for i, kind in enumerate(UnitKind.values)}
    return [{"label": str(UnitKind(kind).label) if kind in UnitKind.values else kind,
             "units": sorted(rows, key=lambda u: fold(u["label"]))}
            for kind, rows in sorted(groups.items(), key=lambda item: order.get(item[0], len(order)))]


def _render_wall(request, figures: dict, *, public: bool):
    from tinhso.reports.models import HandlingUnit

    units = [] if public else list(HandlingUnit.objects.filter(active=True).order_by("kind", "name")
                                   .values("code", "name", "name_en", "kind"))
    chosen = None
    if figures["unit"]:  # the list holds it unless the unit is inactive (or the wall is public)
        chosen = next((u for u in units if u["code"] == figures["unit"]), None)
        if chosen is None:
            chosen = HandlingUnit.objects.filter(code=figures["unit"]).values("code", "name", "name_en", "kind").first()
            if chosen and units:
                units.append(chosen)  # an inactive unit's wall still names it in the choice
    queue = "" if public else reports_queue(request.user)
    tile_links = links(request, figures, public=public, queue=queue)
    config = {
        "queue": queue,
        # The commune map's polygons: the link of the figure they are shaded by, plus ``commune=<code>``.
        "report_links": {"received": tile_links["received"], "overdue": tile_links["overdue"]} if queue else None,
        "summary_url": "/api/v1/ioc/public-summary" if public else "/api/v1/ioc/summary",
        "open_reports_url": None if public else "/api/v1/ioc/open-reports",
        "communes_url": "/phan-anh/ban-do/xa.geojson",
        "period": figures["period"], "unit": figures["unit"], "public": public,
        "refresh_seconds": REFRESH_SECONDS, "tv_seconds": TV_SECONDS,
        "tv": request.GET.get("tv") == "1", "screen": request.GET.get("screen", ""),
        "basemap": basemap.config(),
        "cameras": _cameras(public),
    }
    from django.utils import translation

    lang = "en" if (translation.get_language() or "vi").startswith("en") else "vi"
    # .get: public figures cached by a server from before synthetic_shown existed (30 s at most).
    context = {
        "defs": {k: v[lang] for k, v in figures["definitions"].items()},
        "figures": figures, "r": figures["reports"], "public": public, "units": units,
        "unit_groups": _unit_groups(units),
        "unit_name": local_name(chosen) if chosen else figures["unit"] or "",
        "config": config,
        "queue": queue, "links": tile_links,
        "periods": summary.PERIODS, "any_synthetic": figures["reports"].get("synthetic_shown", figures["reports"]["synthetic"]) > 0,
        "dossiers_synthetic": bool(figures["dossiers"].get("synthetic")),
    }
    response = render(request, "ioc/wall.html", context)
    response["Cache-Control"] = "no-store" if not public else f"public, max-age={PUBLIC_CACHE_SECONDS}"
    return response


def open_reports(request):
    """Open reports in the caller's scope as GeoJSON points: code, state, category, overdue. No personal data."""
    from tinhso.reports import sla
    from tinhso.reports.models import Report

    unit = access.wall_scope(request.user, request.GET.get("unit") or None)
    key = f"ioc:open:2:{unit or '*'}"  # 2: the features carry category_en
    body = cache.get(key)
    if body is None:
        now = timezone.now()
        qs = Report.objects.filter(is_open=True).exclude(state="merged")
        if unit:
            qs = qs.filter(handling_unit__code=unit)
        overdue = set(qs.filter(sla.overdue_q(now)).values_list("id", flat=True)[:OPEN_REPORTS_LIMIT])
        # Both names of the category: the page shows the one of its language.
        features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                     "properties": {"code": code, "state": state, "category": cat, "category_en": cat_en or cat,
                                    "overdue": pk in overdue}}
                    for pk, code, state, cat, cat_en, lat, lon in
                    qs.order_by("-created_at").values_list("id", "code", "state", "category__name_vi",
                                                           "category__name_en", "lat", "lon")[:OPEN_REPORTS_LIMIT]]
        body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
        cache.set(key, body, REFRESH_SECONDS)
    return HttpResponse(body, content_type="application/geo+json; charset=utf-8")


def as_json_error(err: UserError) -> JsonResponse:
    return JsonResponse({"error": err.as_dict()}, status=err.status)
