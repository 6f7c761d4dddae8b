"""The wall's public-service figures (Decision 766), read from the dossiers app when it holds data.

Computing the 766 indicators scans the dossier store (DuckDB), seconds for a province, so the
wall never does it on a request: :func:`block` answers from the shared cache and, when the figures
are missing or older than :data:`FRESH_SECONDS`, starts one background computation
(:func:`compute`, also run by ``tinhso ioc refresh``). Until the first one is done the wall says
the figures are being computed; without dossier data it says so — never an invented number.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from django.core.cache import cache
from django.db import close_old_connections
from django.utils import timezone

from tinhso.core.modules import optional_import

KEY = "ioc:services"
LEASE = "ioc:services-lease"
FRESH_SECONDS = 300
KEEP_SECONDS = 24 * 3600
LEASE_SECONDS = 600
MONTHS = 6  # months of history for the groups-over-time chart
log = logging.getLogger(__name__)


def _month(day: dt.date, back: int = 0) -> str:
    year, month = day.year, day.month - back
    while month <= 0:
        year, month = year - 1, month + 12
    return f"{year:04d}-{month:02d}"


def _week(day: dt.date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def _daily_sql(first: dt.date, last: dt.date) -> str:
    """Dossiers received per agency and day in [first, last], and how many of them online: the counts the
    wall needs for today, this week and this month to date and the same spans before (the 766 "received"
    bucket: statuses 1 and 3 excluded; online = channel 2)."""
    from tinhso.dossiers import store

    source = store.current_sql(("agency", "received_date", "channel", "status"))
    return (f"SELECT agency, received_date, COUNT(*) AS received, "
            f"SUM(CASE WHEN channel = 2 THEN 1 ELSE 0 END) AS online FROM ({source}) d "
            f"WHERE status NOT IN (1, 3) AND received_date >= DATE '{first.isoformat()}' "
            f"AND received_date <= DATE '{last.isoformat()}' GROUP BY agency, received_date")


def _indicator(unit: dict | None, of: int | None = None) -> dict | None:
    """What the wall keeps of one unit's 766 document: on-time rate (2.1), score, rank, groups."""
    if not unit:
        return None
    rate = (unit.get("indicators") or {}).get("2.1") or {}
    buckets = unit.get("buckets") or {}
    return {"on_time_rate": round(rate["rate"] / 100, 4) if rate.get("rate") is not None else None,
            "score": unit.get("total"), "rank": unit.get("rank"), "of": of, "groups": unit.get("groups"),
            "received": buckets.get("received"), "total": buckets.get("total")}


def compute(today: dt.date | None = None) -> dict:
    """The figures, computed now (seconds); stored in the cache for the wall.

    For the province and every agency (a department, or a commune People's Committee: the dossier
    side of a commune's handling unit): dossiers received and received online per day over the last two
    months (so today, this week and this month to date and the same spans before are exact), the 766
    documents (on-time rate, score, rank, groups) of this and the previous ISO week and month (the 766
    indicators are defined per calendar period, not per day), six months of group points, and the
    dossiers due within 24 working hours."""
    service = optional_import("tinhso.dossiers.service")
    today = today or timezone.localdate()
    if service is None:
        return {"available": False}
    from tinhso.dossiers import engine as engines
    from tinhso.dossiers import indicators as dossier_indicators
    from tinhso.dossiers import store
    from tinhso.dossiers.models import Agency

    month, week = _month(today), _week(today)
    prev_month, prev_week = _month(today, 1), _week(today - dt.timedelta(days=7))
    months = [_month(today, back) for back in range(MONTHS - 1, -1, -1)]
    docs = dossier_indicators.compute_many(months + [prev_week, week], levels=("province", "agency", "commune"),
                                           today=today)
    province_doc = docs[(month, "province")]["units"]
    unit = province_doc[0] if province_doc else {}
    buckets = unit.get("buckets") or {}
    if not buckets.get("total"):
        out = {"available": False, "as_of": timezone.now().isoformat()}
        cache.set(KEY, out, KEEP_SECONDS)
        return out
    rate = (unit.get("indicators") or {}).get("2.1") or {}
    received = buckets.get("received") or 0
    history = [{"period": p, "total": docs[(p, "province")]["units"][0].get("total"),
                "groups": docs[(p, "province")]["units"][0]["groups"]}
               for p in months if docs[(p, "province")]["units"] and docs[(p, "province")]["units"][0].get("groups")]

    names_en = dict(Agency.objects.values_list("code", "name_en"))

    def league(level: str) -> list[dict]:
        units = docs[(month, level)]["units"]
        return sorted(({"code": u["code"], "name": u["name"], "name_en": names_en.get(u["code"]) or "", "total": u["total"], "rank": u["rank"],
                        "groups": u["groups"]} for u in units), key=lambda u: (u["rank"] is None, u["rank"] or 0))

    # Per scope ("*" = the province, else an agency code): the 766 documents of the four periods, history.
    scopes: dict[str, dict] = {"*": {"indicators": {}, "history": history}}
    for key, period in (("month", month), ("prev_month", prev_month), ("week", week), ("prev_week", prev_week)):
        scopes["*"]["indicators"][key] = _indicator((docs[(period, "province")]["units"] or [None])[0])
        for level in ("agency", "commune"):
            units = docs[(period, level)]["units"]
            for u in units:
                scope = scopes.setdefault(u["code"], {"indicators": {}, "history": [], "level": level, "name": u["name"],
                                                      "name_en": names_en.get(u["code"]) or ""})
                scope["indicators"][key] = _indicator(u, of=len(units))
    for period in months:
        for level in ("agency", "commune"):
            for u in docs[(period, level)]["units"]:
                if u["code"] in scopes and u.get("groups"):
                    scopes[u["code"]]["history"].append({"period": period, "total": u.get("total"), "groups": u["groups"]})

    # Received (and online) per agency and day: today/week/month to date against the same span before.
    first = min(today.replace(day=1) - dt.timedelta(days=31), today - dt.timedelta(days=14))
    daily: dict[str, dict[str, list[int]]] = {}
    names, rows = engines.run(_daily_sql(first, today))
    for r in engines.as_dicts(names, rows):
        day = r["received_date"]
        day = day.isoformat() if isinstance(day, (dt.date, dt.datetime)) else str(day)[:10]
        for scope in ("*", r["agency"]):
            cell = daily.setdefault(scope, {}).setdefault(day, [0, 0])
            cell[0] += int(r["received"] or 0)
            cell[1] += int(r["online"] or 0)

    due = service.due_soon(24)
    due_by_agency = {a["code"]: a["count"] for a in due["agencies"]}
    _, rows = engines.run(f"SELECT MAX(CAST(synthetic AS INTEGER)) FROM ({store.LATEST_SQL}) d")
    out = {
        "synthetic": bool(rows and rows[0][0]),
        "available": True, "as_of": timezone.now().isoformat(), "today": today.isoformat(), "period": month,
        "week": week, "previous_month": prev_month, "previous_week": prev_week,
        "received": received,
        "online_rate": round(buckets.get("received_online", 0) / received, 4) if received else None,
        "on_time_rate": round(rate["rate"] / 100, 4) if rate.get("rate") is not None else None,
        "due_soon": due["count"],
        "due_soon_agencies": [{"code": a["code"], "name": a["name"], "name_en": names_en.get(a["code"]) or "",
                               "count": a["count"]} for a in due["agencies"]][:15],
        "due_by_agency": due_by_agency,
        "score_766": unit.get("total"), "groups": unit.get("groups"), "buckets": buckets,
        "history": history, "agencies": league("agency"), "communes": league("commune"),
        "scopes": scopes, "daily": daily,
    }
    cache.set(KEY, out, KEEP_SECONDS)
    return out


def _sum_days(days: dict[str, list[int]], lo: dt.date, hi: dt.date) -> tuple[int, int]:
    """Received and online over the days in [lo, hi) ."""
    received = online = 0
    day = lo
    while day < hi:
        cell = days.get(day.isoformat())
        if cell:
            received += cell[0]
            online += cell[1]
        day += dt.timedelta(days=1)
    return received, online


def _diff(now, before):
    return None if now is None or before is None else round(now - before, 4)


def view(figures: dict, agency: str | None, period: str, bounds: dict) -> dict:
    """The wall's dossier figures for one scope (``agency`` None: the province) and period (``today``,
    ``week``, ``month``; ``bounds`` as :func:`tinhso.ioc.summary.period_bounds`) from :func:`compute`'s
    figures: received and online share exactly over the period to date and the same span before; the
    766 on-time rate, score and rank of the calendar period holding it (the ISO week for ``week``, the
    month for ``today`` and ``month``: the indicators are not defined per day, which ``basis`` says)."""
    if not figures.get("available") or "scopes" not in figures:
        return figures
    scope = figures["scopes"].get(agency or "*")
    base = {k: figures.get(k) for k in ("available", "as_of", "synthetic", "today")}
    base.update(scope=agency, scope_level="province" if agency is None else (scope or {}).get("level"))
    if scope is None:  # an agency with no dossier in the periods kept
        return {**base, "available": False, "no_agency_data": True}
    days = figures.get("daily", {}).get(agency or "*", {})
    cur = _sum_days(days, bounds["start"], bounds["end"])
    prev = _sum_days(days, bounds["prev_start"], bounds["prev_end"])
    online, online_before = (_rate(cur[1], cur[0]), _rate(prev[1], prev[0]))
    if period == "week":
        basis, key, prev_key, code = "week", "week", "prev_week", figures.get("week")
    else:
        basis, key, prev_key, code = "month", "month", "prev_month", figures.get("period")
    ind = scope["indicators"].get(key) or {}
    before = scope["indicators"].get(prev_key) or {}
    leagues: dict[str, list] = {"agency": [], "commune": []}
    for other_code, other in figures["scopes"].items():
        row = other["indicators"].get(key)
        if other_code != "*" and row:
            leagues[other["level"]].append({"code": other_code, "name": other["name"], "name_en": other["name_en"],
                                            "total": row["score"], "rank": row["rank"]})
    for rows in leagues.values():
        rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["code"]))
    due = figures.get("due_by_agency", {})
    due_list = figures.get("due_soon_agencies", [])
    if agency:
        due_list = [a for a in due_list if a["code"] == agency]
    return {
        **base,
        "period": period, "received": cur[0], "received_previous": prev[0], "received_change": cur[0] - prev[0],
        "online_rate": online, "online_rate_previous": online_before, "online_rate_change": _diff(online, online_before),
        "basis": basis, "basis_period": code, "basis_matches": period != "today",
        "on_time_rate": ind.get("on_time_rate"), "on_time_rate_previous": before.get("on_time_rate"),
        "on_time_rate_change": _diff(ind.get("on_time_rate"), before.get("on_time_rate")),
        "score_766": ind.get("score"), "score_766_previous": before.get("score"),
        "score_766_change": _diff(ind.get("score"), before.get("score")),
        "rank": ind.get("rank") if agency else None, "rank_of": ind.get("of") if agency else None,
        "rank_previous": before.get("rank") if agency else None,
        "groups": ind.get("groups"),
        "due_soon": due.get(agency, 0) if agency else figures.get("due_soon"),
        "due_soon_agencies": due_list,
        "history": scope.get("history", []), "agencies": leagues["agency"], "communes": leagues["commune"],
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def agency_of(unit: str | None) -> str | None:
    """The dossiers app's agency of a handling unit: a commune People's Committee is its commune's
    committee agency, a department the agency of the same code; ``None`` when it handles no dossiers."""
    if not unit:
        return None
    key = f"ioc:agency-of:{unit}"
    found = cache.get(key)
    if found is None:
        from tinhso.reports.models import HandlingUnit, UnitKind

        found = ""
        models = optional_import("tinhso.dossiers.models")
        row = HandlingUnit.objects.filter(code=unit).values("kind", "commune_id").first()
        if models is not None and row:
            agencies = models.Agency.objects.all()
            if row["kind"] == UnitKind.COMMUNE_COMMITTEE and row["commune_id"]:
                found = agencies.filter(kind=models.AgencyKind.COMMUNE, unit_id=row["commune_id"]) \
                    .values_list("code", flat=True).first() or ""
            else:
                found = agencies.filter(code=unit).values_list("code", flat=True).first() or ""
        cache.set(key, found, 60)
    return found or None


def _background() -> None:
    try:
        compute()
    except Exception:  # a failed refresh keeps the previous figures; the next lease retries
        log.exception("IOC wall: computing the public-service figures failed")
    finally:
        close_old_connections()


def block(unit: str | None = None, period: str = "month", bounds: dict | None = None) -> dict:
    """What the wall shows now for a handling unit (``None``: the province) and period (never blocks on
    the computation). A unit that handles no dossiers says so (``no_agency``)."""
    store = optional_import("tinhso.dossiers.store")
    if store is None or not store.files():  # no dossier data: nothing to compute, say so
        return {"available": False}
    figures = cache.get(KEY)
    stale = True
    if figures and figures.get("as_of"):
        stale = (timezone.now() - dt.datetime.fromisoformat(figures["as_of"])).total_seconds() > FRESH_SECONDS
    if stale and cache.add(LEASE, 1, LEASE_SECONDS):
        threading.Thread(target=_background, name="ioc-services", daemon=True).start()
    if figures is None:
        return {"available": False, "pending": True}
    if bounds is None:
        return figures
    agency = agency_of(unit)
    if unit and agency is None:
        return {"available": False, "no_agency": True, "as_of": figures.get("as_of")}
    return view(figures, agency, period, bounds)
