"""The monthly report's headline figures, each with the previous month and the same month a year
earlier. Nothing is counted here that another app already counts:

- field reports: the IOC wall's pre-aggregated day rows (:func:`tinhso.ioc.summary._totals`: received,
  resolved on time, satisfaction), and the backlog at the end of the month from the report rows
  (received before the month ended and neither resolved, closed nor rejected by then; a report reopened
  later counts as open, the report rows keep only the latest resolution);
- public-service dossiers: the 766 indicators of :func:`tinhso.dossiers.service.indicators`
  (received, online share, 2.1 on-time rate, total score and rank); "no data" when the store is empty;
- plan indicators: their status at the end of the month (:func:`tinhso.indicators.status.plan_status`
  with the figures recorded by then), compared with their status, from the same data, at the end of the
  previous month and of the same month a year earlier (never with an archived report: regenerating a
  month gives the same text whichever other months were generated).

The result is plain JSON (numbers, codes, names in both languages): the text is written later from
templates (:mod:`tinhso.analysis.render`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings

from tinhso.core.errors import UserError
from tinhso.core.modules import optional_import

REPORT_ITEMS = ("received", "on_time_rate", "satisfaction_rate", "backlog")
DOSSIER_ITEMS = ("dossiers_received", "online_rate", "dossiers_on_time_rate", "score_766", "rank_766")


def month_start(text_or_date) -> dt.date:
    """``2025-10`` (or any date in it) → 2025-10-01; a clear error otherwise."""
    if isinstance(text_or_date, dt.date):
        return text_or_date.replace(day=1)
    text = str(text_or_date).strip()
    try:
        year, month = text.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        return dt.date(int(year), int(month), 1)
    except ValueError:
        raise UserError("bad_month", f"Tháng {text!r} không hợp lệ (dạng 2025-10)",
                        f"Invalid month {text!r} (use 2025-10)", field="month") from None


def shift(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def label(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


@dataclass(frozen=True)
class Scope:
    """Whom a report is about: the province (``code`` = province code) or one handling unit."""

    kind: str                   # "province" | "unit"
    code: str
    name: str
    name_en: str
    unit_kind: str = "province"  # the handling unit's kind (commune_committee, department, ioc)
    unit_id: int | None = None  # the handling unit's id (report figures)
    agency: str | None = None   # the dossier agency code of the same unit, when it has one
    agency_level: str | None = None  # "agency" | "commune"

    def as_dict(self) -> dict:
        return {"kind": self.kind, "code": self.code, "name": self.name, "name_en": self.name_en,
                "unit_kind": self.unit_kind, "agency": self.agency}


def province_scope() -> Scope:
    from tinhso.geo.models import Unit

    unit = Unit.objects.filter(structure="current", level="province", code=settings.PROVINCE_CODE).first()
    if unit is None:
        return Scope("province", settings.PROVINCE_CODE, f"Tỉnh {settings.PROVINCE_CODE}",
                     f"Province {settings.PROVINCE_CODE}")
    return Scope("province", settings.PROVINCE_CODE, unit.name, unit.name_en or unit.name)


def unit_scope(code: str) -> Scope:
    """A handling unit by code, with its dossier agency (a commune committee's commune agency, or the
    department agency of the same code or name)."""
    from tinhso.reports.models import HandlingUnit, UnitKind

    unit = HandlingUnit.objects.filter(code=code).first()
    if unit is None:
        raise UserError("unknown_unit", f"Không có đơn vị {code!r}", f"No unit {code!r}", field="unit", status=404)
    agency = level = None
    models = optional_import("tinhso.dossiers.models")
    if models is not None:
        Agency, AgencyKind = models.Agency, models.AgencyKind
        if unit.kind == UnitKind.COMMUNE_COMMITTEE and unit.commune_id:
            found = Agency.objects.filter(kind=AgencyKind.COMMUNE, unit_id=unit.commune_id).first()
            level = "commune"
        else:
            found = (Agency.objects.filter(kind=AgencyKind.DEPARTMENT, code=unit.code).first()
                     or Agency.objects.filter(kind=AgencyKind.DEPARTMENT, name=unit.name).first())
            level = "agency"
        agency = found.code if found else None
    return Scope("unit", unit.code, unit.name, unit.name_en or unit.name, unit.kind, unit.pk, agency,
                 level if agency else None)


def scope_for(unit: str | None) -> Scope:
    return unit_scope(unit) if unit else province_scope()


# --- field reports --------------------------------------------------------------------------------

def _backlog_at(end: dt.date, unit_id: int | None) -> int:
    """Reports open at ``end``: received before, neither resolved nor closed by then, not merged, and
    not rejected by then (a rejection is never resolved nor closed: it is dated by its event; a rejected
    report without one is left out, as :mod:`~tinhso.analysis.detectors.units_behind` does)."""
    from django.db.models import Exists, OuterRef, Q

    from tinhso.ioc.aggregates import day_bounds
    from tinhso.reports.models import Report, ReportEvent, State

    _, moment = day_bounds(end, end)
    qs = Report.objects.filter(created_at__lt=moment).exclude(state=State.MERGED)
    qs = qs.exclude(Q(resolved_at__lt=moment) | Q(closed_at__lt=moment))
    rejected_later = ReportEvent.objects.filter(report=OuterRef("pk"), action="reject", at__gte=moment)
    qs = qs.exclude(Q(state=State.REJECTED) & ~Exists(rejected_later))
    if unit_id:
        qs = qs.filter(handling_unit_id=unit_id)
    return qs.count()


def _first_report_day() -> dt.date | None:
    """The local day of the first report the installation holds (None without any)."""
    from django.utils import timezone

    from tinhso.reports.models import Report

    first = Report.objects.order_by("created_at").values_list("created_at", flat=True).first()
    return timezone.localtime(first).date() if first else None


def report_month(month: dt.date, unit_id: int | None) -> dict:
    """The report figures of one month (``value`` None where nothing was counted).

    A month that ended before the installation's first report is not a month of zero reports but
    one the data does not cover: every figure is None ("no data"), never a comparison with 0."""
    from tinhso.ioc import summary

    end = shift(month, 1)
    first = _first_report_day()
    if first is None or end <= first:
        return {"received": {"value": None},
                "on_time_rate": {"value": None, "on_time": None, "resolved": None},
                "satisfaction_rate": {"value": None, "rated": None, "satisfied": None},
                "backlog": {"value": None}, "_synthetic": False}
    t = summary._totals(unit_id, month, end)
    return {
        "received": {"value": t["received"]},
        "on_time_rate": {"value": t["on_time_rate"], "on_time": t["on_time"], "resolved": t["resolved"]},
        "satisfaction_rate": {"value": t["satisfaction_rate"], "rated": t["rated"], "satisfied": t["satisfied"]},
        "backlog": {"value": _backlog_at(end, unit_id)},
        "_synthetic": t["synthetic"],
    }


SERIES_MONTHS = 13


def report_series(month: dt.date, unit_id: int | None) -> dict:
    """Received reports and the on-time rate per month, the :data:`SERIES_MONTHS` months up to ``month``."""
    from tinhso.ioc import summary

    months = [shift(month, -i) for i in range(SERIES_MONTHS - 1, -1, -1)]
    totals = [summary._totals(unit_id, m, shift(m, 1)) for m in months]
    return {"months": [label(m) for m in months], "received": [t["received"] for t in totals],
            "on_time_rate": [t["on_time_rate"] for t in totals]}


# --- dossiers --------------------------------------------------------------------------------------

@dataclass
class DossierSource:
    """The 766 indicators per (month, level), computed once per run (the store is scanned by DuckDB)."""

    today: dt.date | None = None
    cache: dict = field(default_factory=dict)

    def available(self) -> bool:
        store = optional_import("tinhso.dossiers.store")
        return bool(store is not None and store.files())

    def units(self, month: dt.date, level: str) -> list[dict]:
        key = (label(month), level)
        if key not in self.cache:
            from tinhso.dossiers import service

            self.cache[key] = service.indicators(label(month), level=level, today=self.today)["units"]
        return self.cache[key]

    def synthetic(self) -> bool:
        if "synthetic" not in self.cache:
            from tinhso.dossiers import engine as engines
            from tinhso.dossiers import store

            _, rows = engines.run(f"SELECT MAX(CAST(synthetic AS INTEGER)) FROM ({store.LATEST_SQL}) d")
            self.cache["synthetic"] = bool(rows and rows[0][0])
        return self.cache["synthetic"]


def _published_rank(month: dt.date) -> tuple[int | None, int | None]:
    published = optional_import("tinhso.indices.published")
    if published is None:
        return None, None
    for series in published.rank_history(settings.PROVINCE_CODE)["series"]:
        if "766" not in series["index"]:
            continue
        for point in series["points"]:
            if point["period"] == label(month) and point["rank"] is not None:
                return point["rank"], point["of"]
    return None, None


def dossier_month(month: dt.date, scope: Scope, source: DossierSource) -> dict | None:
    """The dossier figures of one month for the scope, or None when there is nothing to count."""
    if scope.kind == "province":
        rows = source.units(month, "province")
        unit = rows[0] if rows else None
        rank, of = _published_rank(month)
        among = ("tỉnh, thành phố", "provinces")
    else:
        if not scope.agency:
            return None
        rows = source.units(month, scope.agency_level)
        unit = next((u for u in rows if u["code"] == scope.agency), None)
        ranked = [u for u in rows if u.get("rank") is not None]
        rank, of = (unit.get("rank") if unit else None), len(ranked)
        among = ("sở, ngành" if scope.agency_level == "agency" else "xã, phường",
                 "departments" if scope.agency_level == "agency" else "communes")
    buckets = (unit or {}).get("buckets") or {}
    if not unit or not buckets.get("total") and not buckets.get("received"):
        return None
    received = buckets.get("received") or 0
    rate = ((unit.get("indicators") or {}).get("2.1") or {})
    return {
        "dossiers_received": {"value": received},
        "online_rate": {"value": round(buckets.get("received_online", 0) / received, 4) if received else None,
                        "online": buckets.get("received_online", 0)},
        "dossiers_on_time_rate": {"value": round(rate["rate"] / 100, 4) if rate.get("rate") is not None else None},
        "score_766": {"value": unit.get("total")},
        "rank_766": {"value": rank if of else None, "of": of, "among_vi": among[0], "among_en": among[1]},
    }


# --- plan indicators -------------------------------------------------------------------------------

def plan_statuses(scope: Scope, month: dt.date | None = None, *, year: int | None = None) -> dict[str, dict]:
    """``{plan/indicator code: {"code", "name", "name_en", "plan", "milestone", "status"}}`` at the end of
    ``month`` (the figures recorded before it ended; without a month, now), for the plans of the scope:
    the province's plans, or a commune committee's commune's plans. Each plan is judged for its first
    milestone not before ``year`` (default: the month's year; a comparison passes the year of the
    month it is compared with, so that both judge the same target)."""
    status = optional_import("tinhso.indicators.status")
    if status is None:
        return {}
    from tinhso.indicators.models import Plan

    plans = Plan.objects.select_related("unit").order_by("code")
    if scope.kind == "province":
        plans = plans.filter(unit__level="province")
    else:
        from tinhso.reports.models import HandlingUnit

        commune = HandlingUnit.objects.filter(pk=scope.unit_id).values_list("commune_id", flat=True).first()
        if commune is None:
            return {}
        plans = plans.filter(unit_id=commune)
    out = {}
    from django.utils import timezone

    as_of = (dt.datetime.combine(shift(month, 1), dt.time(), tzinfo=timezone.get_current_timezone())
             if month is not None else None)
    if year is None:
        year = month.year if month is not None else timezone.localdate().year
    for plan in plans:
        milestones = sorted(int(m) for m in plan.milestones or [])
        if not milestones:
            continue
        upcoming = [m for m in milestones if m >= year]
        chosen = upcoming[0] if upcoming else milestones[-1]
        for entry in status.plan_status(plan.code, chosen, as_of=as_of)["indicators"]:
            out[f"{plan.code}/{entry['code']}"] = {
                "code": entry["code"], "name": entry["name"], "name_en": entry["name_en"] or entry["name"],
                "plan": plan.code, "milestone": chosen, "status": entry["status"]}
    return out


def status_labels() -> dict[str, dict]:
    progress = optional_import("tinhso.indicators.progress")
    if progress is None:
        return {}
    return {k: {"vi": vi, "en": en} for k, (vi, en) in progress.CLASS_LABELS.items()}


# --- together --------------------------------------------------------------------------------------

def _item(key: str, now: dict | None, before: dict | None, year_ago: dict | None) -> dict:
    cur = (now or {}).get(key) or {"value": None}
    value = cur.get("value")
    prev = ((before or {}).get(key) or {}).get("value")
    ago = ((year_ago or {}).get(key) or {}).get("value")

    def diff(a, b):
        return None if a is None or b is None else round(a - b, 4)

    extra = {k: v for k, v in cur.items() if k != "value"}
    return {"key": key, "value": value, "previous": prev, "year_ago": ago,
            "change": diff(value, prev), "change_year": diff(value, ago), **extra}


def _changed(now: dict, before: dict | None) -> list[dict]:
    changed = []
    for key in sorted(now):
        status = ((before or {}).get(key) or {}).get("status")
        if status is not None and status != now[key]["status"]:
            changed.append({**now[key], "key": key, "before": status})
    return changed


def figures(month: dt.date, scope: Scope, *, source: DossierSource | None = None,
            previous_plan: dict | None = None, year_ago_plan: dict | None = None,
            plan_now: dict | None = None) -> dict:
    """Every headline figure of ``month`` for ``scope`` (JSON)."""
    from tinhso.ioc import aggregates

    aggregates.refresh_if_due()
    source = source or DossierSource()
    months = {"now": month, "previous": shift(month, -1), "year_ago": shift(month, -12)}
    unit_id = scope.unit_id if scope.kind == "unit" else None
    rep = {k: report_month(m, unit_id) for k, m in months.items()}
    reports = {"available": bool(rep["now"]["received"]["value"] or rep["now"]["backlog"]["value"]),
               "synthetic": bool(rep["now"].pop("_synthetic")),
               "items": [_item(k, rep["now"], rep["previous"], rep["year_ago"]) for k in REPORT_ITEMS]}
    for other in ("previous", "year_ago"):
        rep[other].pop("_synthetic", None)

    if source.available():
        dos = {k: dossier_month(m, scope, source) for k, m in months.items()}
        dossiers = {"available": dos["now"] is not None, "synthetic": source.synthetic(),
                    "items": [_item(k, dos["now"], dos["previous"], dos["year_ago"]) for k in DOSSIER_ITEMS]
                    if dos["now"] is not None else []}
    else:
        dossiers = {"available": False, "synthetic": False, "items": []}

    series = report_series(month, unit_id)
    plan_now = plan_statuses(scope, month) if plan_now is None else plan_now
    plan = {"available": bool(plan_now), "compared": previous_plan is not None,
            "changed": _changed(plan_now, previous_plan),
            "compared_year": year_ago_plan is not None, "changed_year": _changed(plan_now, year_ago_plan),
            "statuses": plan_now, "labels": status_labels()}
    reports["series"] = series
    return {"month": label(month), "scope": scope.as_dict(), "reports": reports, "dossiers": dossiers,
            "plan": plan}
