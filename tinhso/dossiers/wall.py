"""Public-service figures for the IOC wall: one small dict, cached for a minute.

The wall (``tinhso/web``) calls :func:`wall_figures` when this module exists. Figures are for the
province, or for one agency when ``unit`` is also an agency code (``DonViXuLy``); any other ``unit``
(a reports handling unit that is not an agency) is ignored. ``start``/``end`` are local dates, ``end``
exclusive, likewise the previous window. Rates are percentages; ``score_766`` is the province's (or
the agency's) 766 total for the month containing ``end - 1 day`` and ``rank_766`` the agency's rank
among its kind (a province's national rank is published by the ministry, not computable here: None).
"""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache

from tinhso.dossiers import engine as engines
from tinhso.dossiers import rules, service, store
from tinhso.dossiers.models import Agency
from tinhso.dossiers.periods import containing

CACHE_SECONDS = 60
ON_TIME = ("finished_early", "finished_on_due", "in_progress_within", "paused_on_time")


def _rate(num: float, den: float) -> float | None:
    return round(100.0 * num / den, 2) if den else None


def _figures(agency: Agency | None, start: dt.date, end: dt.date, prev_start: dt.date, prev_end: dt.date) -> dict:
    last = end - dt.timedelta(days=1)
    mode = service._mode(None)
    today = engines.today_local()
    cols = rules.period_columns(start, last, mode, today)
    where = rules.in_scope(start, last)
    if agency is not None:
        where += f" AND agency = {service._quote(agency.code)}"
    on_time = " OR ".join(f"({cols[c]})" for c in ON_TIME)
    latest = f"FROM ({store.LATEST_SQL}) d"
    received_prev = (f"(SELECT COUNT(*) {latest} WHERE status NOT IN (1, 3) AND received_date >= DATE '{prev_start}' "
                     f"AND received_date < DATE '{prev_end}'"
                     + (f" AND agency = {service._quote(agency.code)}" if agency else "") + ")")
    sql = (f"SELECT COUNT(*) AS in_scope, SUM(CASE WHEN {cols['received']} THEN 1 ELSE 0 END) AS received, "
           f"SUM(CASE WHEN {cols['received_online']} THEN 1 ELSE 0 END) AS online, "
           f"SUM(CASE WHEN {on_time} THEN 1 ELSE 0 END) AS on_time, {received_prev} AS received_previous, "
           f"(SELECT MAX(received_at) {latest}) AS as_of {latest} WHERE {where}")
    names, rows = engines.run(sql, "duckdb")
    r = engines.as_dicts(names, rows)[0]
    received = int(r["received"] or 0)
    due = service.due_soon(hours=24, agency=agency.code if agency else None)
    month = containing(last, "month").code
    if agency is None:
        units = service.indicators(month, level="province")["units"]
        score, rank = (units[0]["total"], None) if units else (None, None)
    else:
        level = "agency" if agency.kind == "department" else "commune"
        found = [u for u in service.indicators(month, level=level)["units"] if u["code"] == agency.code]
        score, rank = (found[0]["total"], found[0]["rank"]) if found else (None, None)
    return {"available": True, "received": received, "received_previous": int(r["received_previous"] or 0),
            "online_rate": _rate(int(r["online"] or 0), received),
            "on_time_rate": _rate(int(r["on_time"] or 0), int(r["in_scope"] or 0)),
            "due_soon": due["count"], "score_766": score, "rank_766": rank, "period_766": month,
            "supplement_mode": mode, "as_of": r["as_of"].isoformat() if r["as_of"] else None}


def wall_figures(unit: str | None = None, *, start: dt.date, end: dt.date, prev_start: dt.date,
                 prev_end: dt.date) -> dict:
    if not store.files():
        return {"available": False}
    agency = Agency.objects.filter(code=unit).first() if unit else None
    key = f"dossiers:wall:{agency.code if agency else '-'}:{start}:{end}:{prev_start}:{prev_end}:{len(store.files())}"
    found = cache.get(key)
    if found is None:
        found = _figures(agency, start, end, prev_start, prev_end)
        cache.set(key, found, CACHE_SECONDS)
    return found
