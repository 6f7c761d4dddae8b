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


def compute(today: dt.date | None = None) -> dict:
    """The figures, computed now (seconds); stored in the cache for the wall."""
    service = optional_import("tinhso.dossiers.service")
    today = today or timezone.localdate()
    if service is None:
        return {"available": False}
    month = _month(today)
    province = service.indicators(month, level="province", today=today)["units"]
    unit = province[0] if province else {}
    buckets = unit.get("buckets") or {}
    if not buckets.get("total"):
        out = {"available": False, "as_of": timezone.now().isoformat()}
        cache.set(KEY, out, KEEP_SECONDS)
        return out
    rate = (unit.get("indicators") or {}).get("2.1") or {}
    received = buckets.get("received") or 0
    history = []
    for back in range(MONTHS - 1, -1, -1):
        period = _month(today, back)
        row = service.indicators(period, level="province", today=today)["units"]
        if row and row[0].get("groups"):
            history.append({"period": period, "total": row[0].get("total"), "groups": row[0]["groups"]})

    from tinhso.dossiers.models import Agency

    names_en = dict(Agency.objects.values_list("code", "name_en"))

    def league(level: str) -> list[dict]:
        units = service.indicators(month, level=level, today=today)["units"]
        return sorted(({"code": u["code"], "name": u["name"], "name_en": names_en.get(u["code"]) or "", "total": u["total"], "rank": u["rank"],
                        "groups": u["groups"]} for u in units), key=lambda u: (u["rank"] is None, u["rank"] or 0))

    due = service.due_soon(24)
    from tinhso.dossiers import engine as engines
    from tinhso.dossiers import store

    _, rows = engines.run(f"SELECT MAX(CAST(synthetic AS INTEGER)) FROM ({store.LATEST_SQL}) d")
    out = {
        "synthetic": bool(rows and rows[0][0]),
        "available": True, "as_of": timezone.now().isoformat(), "period": month,
        "received": received,
        "online_rate": round(buckets.get("received_online", 0) / received, 4) if received else None,
        "on_time_rate": round(rate["rate"] / 100, 4) if rate.get("rate") is not None else None,
        "due_soon": due["count"],
        "due_soon_agencies": [{"code": a["code"], "name": a["name"], "name_en": names_en.get(a["code"]) or "",
                               "count": a["count"]} for a in due["agencies"]][:15],
        "score_766": unit.get("total"), "groups": unit.get("groups"), "buckets": buckets,
        "history": history, "agencies": league("agency"), "communes": league("commune")[:20],
    }
    cache.set(KEY, out, KEEP_SECONDS)
    return out


def _background() -> None:
    try:
        compute()
    except Exception:  # a failed refresh keeps the previous figures; the next lease retries
        log.exception("IOC wall: computing the public-service figures failed")
    finally:
        close_old_connections()


def block() -> dict:
    """What the wall shows now (never blocks on the computation)."""
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
    return figures
