"""The wall's numbers: one function, :func:`summary`, read by the page and ``/api/v1/ioc/summary``.

Every figure says what it counts (:data:`DEFINITIONS`, shown on hover and in the legend) and how
fresh it is (``as_of``). Report figures come from the pre-aggregates
(:mod:`tinhso.ioc.aggregates`) — never a scan of the report table per request; the open and
overdue backlog is a snapshot of open reports cached for :data:`BACKLOG_SECONDS`.

Periods (local days, Asia/Ho_Chi_Minh) are "to date" and compared with the same span of the
previous period: ``today`` vs yesterday, ``week`` (Monday to today) vs the same weekdays of last
week, ``month`` (1st to today) vs the same days of last month.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from tinhso.core.errors import UserError
from tinhso.core.modules import optional_import
from tinhso.ioc import aggregates
from tinhso.ioc.aggregates import HIST_FIELDS, HOURS_EDGES
from tinhso.ioc.models import ReportDay, ReportRollup

PERIODS = ("today", "week", "month")
BACKLOG_SECONDS = 10
INDICATORS_SECONDS = 60
NAMES_SECONDS = 60
SERIES_DAYS = 30
RISING_MIN = 5          # a category needs at least this many reports this week to be "rising"
RISING_RATIO = 1.5      # … and this many times its mean of the four previous weeks

DEFINITIONS = {
    "received": ("Phản ánh tiếp nhận trong kỳ (mọi trạng thái).",
                 "Field reports received in the period (any state)."),
    "on_time_rate": ("Trong số phản ánh nhận trong kỳ đã xử lý xong, tỷ lệ xong trước hạn xử lý.",
                     "Of the reports received in the period and resolved, the share resolved by the handling deadline."),
    "overdue_backlog": ("Phản ánh đang mở có đồng hồ đang chạy đã quá hạn (thời điểm hiện tại, mọi kỳ).",
                        "Open reports whose running clock is past due, now (whatever their receipt date)."),
    "open_backlog": ("Phản ánh đang mở (thời điểm hiện tại).", "Reports open now."),
    "satisfaction_rate": ("Tỷ lệ đánh giá 4–5 sao trong số phản ánh nhận trong kỳ đã được đánh giá.",
                          "Share rated 4–5 of the rated reports received in the period."),
    "median_handling_hours": ("Trung vị thời gian từ tiếp nhận đến xử lý xong (giờ theo lịch, ước từ nhóm thời gian).",
                              "Median time from receipt to resolution (calendar hours, from time buckets)."),
    "dossiers_received": ("Hồ sơ thủ tục hành chính tiếp nhận trong kỳ (trừ hồ sơ mới đăng ký, không được tiếp nhận), "
                          "của cơ quan giải quyết của đơn vị hoặc toàn tỉnh.",
                          "Administrative-procedure dossiers received in the period (excluding newly registered and "
                          "refused ones), by the unit's dossier agency or the whole province."),
    "dossiers_online_rate": ("Tỷ lệ hồ sơ tiếp nhận trực tuyến trong số hồ sơ tiếp nhận trong kỳ.",
                             "Share of the dossiers received in the period that were received online."),
    "dossiers_on_time_rate": ("Chỉ tiêu 2.1 (Quyết định 766): hồ sơ giải quyết trước hạn, đúng hạn trên tổng hồ sơ "
                              "trong kỳ; tính theo tuần hoặc tháng, không theo ngày.",
                              "Indicator 2.1 (Decision 766): dossiers handled early or on time of all dossiers in "
                              "the period; computed per week or month, not per day."),
    "dossiers_due_soon": ("Hồ sơ đang giải quyết có hạn trả trong 24 giờ làm việc tới (thời điểm hiện tại).",
                          "Dossiers in progress due within the next 24 working hours (now)."),
    "score_766": ("Tổng điểm Chỉ số 766 (/100) của kỳ tuần hoặc tháng; hạng: hạng của đơn vị trong các cơ quan "
                  "cùng loại, hoặc hạng công bố của tỉnh.",
                  "Decision 766 total score (of 100) for the week or month; rank: the unit's rank among agencies of "
                  "its kind, or the province's published rank."),
    "rising": (f"Lĩnh vực có ≥ {RISING_MIN} phản ánh tuần này và gấp ≥ {RISING_RATIO} lần trung bình 4 tuần trước.",
               f"Categories with ≥ {RISING_MIN} reports this week and ≥ {RISING_RATIO}× their mean of the 4 previous weeks."),
}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def period_bounds(period: str, today: dt.date) -> dict:
    """``{"start", "end", "prev_start", "prev_end"}`` (end exclusive) for a period to date."""
    if period not in PERIODS:
        raise UserError("invalid_period", f"Kỳ không hợp lệ: {period!r} (today, week, month)",
                        f"Invalid period {period!r} (today, week, month)", field="period")
    end = today + dt.timedelta(days=1)
    if period == "today":
        start, prev_start, prev_end = today, today - dt.timedelta(days=1), today
    elif period == "week":
        start = today - dt.timedelta(days=today.weekday())
        prev_start, prev_end = start - dt.timedelta(days=7), end - dt.timedelta(days=7)
    else:
        start = today.replace(day=1)
        prev_start = (start - dt.timedelta(days=1)).replace(day=1)
        span = (end - start).days
        prev_month_days = (start - prev_start).days
        prev_end = prev_start + dt.timedelta(days=min(span, prev_month_days))
    return {"start": start, "end": end, "prev_start": prev_start, "prev_end": prev_end}


def median_from_hist(hist: list[int]) -> float | None:
    """Median hours from a :data:`HOURS_EDGES` histogram, interpolated inside its bucket."""
    total = sum(hist)
    if not total:
        return None
    half, seen = total / 2, 0
    for i, n in enumerate(hist):
        if n and seen + n >= half:
            low = HOURS_EDGES[i]
            high = HOURS_EDGES[i + 1] if i + 1 < len(HOURS_EDGES) else low * 1.5
            return round(low + (high - low) * (half - seen) / n, 1)
        seen += n
    return None


def _scope(qs, unit_id: int | None):
    return qs.filter(handling_unit_id=unit_id) if unit_id else qs


SUMS = ("received", "resolved", "on_time", "rated", "rating_sum", "satisfied", "synthetic") + HIST_FIELDS


def _figures(row: dict, prefix: str = "") -> dict:
    g = {name: row.get(f"{prefix}{name}") or 0 for name in SUMS}
    return {
        "received": g["received"], "resolved": g["resolved"], "on_time": g["on_time"],
        "on_time_rate": _rate(g["on_time"], g["resolved"]),
        "rated": g["rated"], "avg_rating": round(g["rating_sum"] / g["rated"], 2) if g["rated"] else None,
        "satisfied": g["satisfied"], "satisfaction_rate": _rate(g["satisfied"], g["rated"]),
        "median_handling_hours": median_from_hist([g[h] for h in HIST_FIELDS]), "synthetic": g["synthetic"],
    }


class _Query:
    """Plain ANSI SQL over the pre-aggregates (the same text on SQLite and PostgreSQL): building
    these grouped sums through the ORM cost more CPU than running them.

    The province-wide wall reads :class:`ReportRollup` (one dimension per query: a few rows per
    day); a unit's wall reads its own :class:`ReportDay` rows (the ``(day, handling_unit)`` index).
    ``rollups=False`` reads ``ReportDay`` for the province too (the former way, kept for tests and
    the benchmark's comparison).
    """

    def __init__(self, unit_id: int | None, rollups: bool = True):
        self.rollups = rollups and not unit_id
        self.table = connection.ops.quote_name((ReportRollup if self.rollups else ReportDay)._meta.db_table)
        self.unit_id = unit_id

    def key(self, dim: str) -> str:
        """The grouping column of dimension ``dim`` (``u``/``c``/``k``), named as in ``ReportDay``."""
        column = aggregates.ROLLUP_DIMS[dim]
        return f"ref AS {column}" if self.rollups else column

    def group(self, dim: str) -> str:
        return "ref" if self.rollups else aggregates.ROLLUP_DIMS[dim]

    @staticmethod
    def day(value: dt.date):
        return connection.ops.adapt_datefield_value(value)

    def rows(self, select: str, where: str, params: list, group: str = "", dim: str = "t") -> list[dict]:
        """``SELECT select … WHERE where [GROUP BY group]`` over dimension ``dim`` (``t``: no grouping)."""
        sql = f"SELECT {select} FROM {self.table} WHERE {where}"
        if self.rollups:
            sql += " AND dim = %s"
            params = [*params, dim]
        if self.unit_id:
            sql += " AND handling_unit_id = %s"
            params = [*params, self.unit_id]
        if group:
            sql += f" GROUP BY {group}"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def sums(self, names, prefix: str = "", lo: dt.date | None = None, hi: dt.date | None = None):
        """``SUM(col)`` (or ``SUM(CASE WHEN day in [lo, hi) …)``) for each name, and its parameters."""
        if lo is None:
            return ", ".join(f"SUM({n}) AS {prefix}{n}" for n in names), []
        parts, params = [], []
        for n in names:
            parts.append(f"SUM(CASE WHEN day >= %s AND day < %s THEN {n} ELSE 0 END) AS {prefix}{n}")
            params += [self.day(lo), self.day(hi)]
        return ", ".join(parts), params


def _totals(unit_id: int | None, start: dt.date, end: dt.date, rollups: bool = True) -> dict:
    q = _Query(unit_id, rollups)
    select, params = q.sums(SUMS)
    return _figures(q.rows(select, "day >= %s AND day < %s", [*params, q.day(start), q.day(end)])[0])


def backlog(unit_id: int | None = None) -> dict:
    """Open and overdue reports now, per handling unit and commune id (cached :data:`BACKLOG_SECONDS`)."""
    key = f"ioc:backlog:{unit_id or '*'}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    from tinhso.reports import sla
    from tinhso.reports.models import Report

    now = timezone.now()
    open_qs = _scope(Report.objects.filter(is_open=True).exclude(state="merged"), unit_id)
    # One grouped scan of the open reports (indexed by is_open): open and overdue per unit × commune.
    rows = (open_qs.values_list("handling_unit_id", "commune_id").order_by()
            .annotate(n=Count("id"), late=Count("id", filter=sla.overdue_q(now)),
                      synthetic=Count("id", filter=Q(synthetic=True))))
    open_by_unit: dict = {}
    overdue_by_unit: dict = {}
    overdue_by_commune: dict = {}
    synthetic = 0
    for unit, commune, n, late, made_up in rows:
        synthetic += made_up
        open_by_unit[unit] = open_by_unit.get(unit, 0) + n
        if late:
            overdue_by_unit[unit] = overdue_by_unit.get(unit, 0) + late
            overdue_by_commune[commune] = overdue_by_commune.get(commune, 0) + late
    out = {
        "as_of": now.isoformat(),
        "open": sum(open_by_unit.values()),
        "overdue": sum(overdue_by_unit.values()),
        "overdue_by_unit": overdue_by_unit,
        "open_by_unit": open_by_unit,
        "overdue_by_commune": overdue_by_commune,
        "synthetic": synthetic,  # open reports of the synthetic demo data among them
    }
    cache.set(key, out, BACKLOG_SECONDS)
    return out


def _change(now_value, before_value):
    if now_value is None or before_value is None:
        return None
    return round(now_value - before_value, 4)


def _names():
    """Codes and names of handling units, categories and the province's communes (cached briefly)."""
    names = cache.get("ioc:names:2")
    if names is None:
        from tinhso.geo.models import Unit
        from tinhso.reports.models import Category, HandlingUnit

        names = {
            "units": {pk: (code, name, en) for pk, code, name, en in
                      HandlingUnit.objects.values_list("pk", "code", "name", "name_en")},
            "categories": {pk: (code, vi, en) for pk, code, vi, en in
                           Category.objects.values_list("pk", "code", "name_vi", "name_en")},
            "communes": {pk: (code, name, en) for pk, code, name, en in Unit.objects.filter(
                structure="current", level="commune", province_code=settings.PROVINCE_CODE)
                .values_list("pk", "code", "name", "name_en")},
        }
        cache.set("ioc:names:2", names, NAMES_SECONDS)
    return names


def report_block(unit_id: int | None, bounds: dict, today: dt.date, rollups: bool = True) -> dict:
    names = _names()
    snap = backlog(unit_id)
    q = _Query(unit_id, rollups)
    start, end, prev_start, prev_end = bounds["start"], bounds["end"], bounds["prev_start"], bounds["prev_end"]
    period = ("day >= %s AND day < %s", [q.day(start), q.day(end)])

    # Totals of the period and of the previous one: one query.
    cur_sql, cur_params = q.sums(SUMS, "c_", start, end)
    prev_sql, prev_params = q.sums(SUMS, "p_", prev_start, prev_end)
    both = q.rows(f"{cur_sql}, {prev_sql}", "day >= %s AND day < %s",
                  [*cur_params, *prev_params, q.day(min(start, prev_start)), q.day(max(end, prev_end))])[0]
    cur, prev = _figures(both, "c_"), _figures(both, "p_")

    # League table per handling unit (and every unit with open reports).
    select, params = q.sums(SUMS)
    league = {r["handling_unit_id"]: _figures(r) for r in
              q.rows(f"{q.key('u')}, {select}", period[0], [*params, *period[1]], group=q.group("u"), dim="u")}
    for uid in set(snap["open_by_unit"]) - set(league):
        league[uid] = _figures({})
    units = []
    for uid, f in league.items():
        code, name, name_en = names["units"].get(uid, (None, "—", ""))
        units.append({"code": code, "name": name, "name_en": name_en, "received": f["received"], "resolved": f["resolved"],
                      "on_time_rate": f["on_time_rate"], "overdue": snap["overdue_by_unit"].get(uid, 0),
                      "open": snap["open_by_unit"].get(uid, 0), "median_handling_hours": f["median_handling_hours"],
                      "satisfaction_rate": f["satisfaction_rate"]})
    units.sort(key=lambda r: (-r["overdue"], -r["received"], r["name"]))

    # Per commune, for the choropleth.
    communes = []
    for r in q.rows(f"{q.key('c')}, SUM(received) AS received, SUM(resolved) AS resolved, SUM(on_time) AS on_time",
                    f"{period[0]} AND {q.group('c')} IS NOT NULL", period[1], group=q.group("c"), dim="c"):
        code, name, name_en = names["communes"].get(r["commune_id"], (None, None, ""))
        if code is None:
            continue
        communes.append({"code": code, "name": name, "name_en": name_en, "received": r["received"],
                         "on_time_rate": _rate(r["on_time"], r["resolved"]),
                         "overdue": snap["overdue_by_commune"].get(r["commune_id"], 0)})

    # Per category: this period vs the previous one, and this week vs the 4 weeks before (rising).
    week_start = today - dt.timedelta(days=today.weekday())
    span = (today - week_start).days + 1
    windows = [("cur", start, end), ("prev", prev_start, prev_end)] + [
        (f"w{w}", week_start - dt.timedelta(days=7 * w), week_start - dt.timedelta(days=7 * w - span))
        for w in range(5)]
    parts, params = [], []
    for label, lo, hi in windows:
        parts.append(f"SUM(CASE WHEN day >= %s AND day < %s THEN received ELSE 0 END) AS {label}")
        params += [q.day(lo), q.day(hi)]
    lowest, highest = min(w[1] for w in windows), max(w[2] for w in windows)
    categories, rising = [], []
    for r in q.rows(f"{q.key('k')}, " + ", ".join(parts), "day >= %s AND day < %s",
                    [*params, q.day(lowest), q.day(highest)], group=q.group("k"), dim="k"):
        code, vi, en = names["categories"].get(r["category_id"], ("?", "?", "?"))
        if r["cur"]:
            categories.append({"code": code, "name": vi, "name_en": en, "received": r["cur"],
                               "previous": r["prev"] or 0})
        this_week, baseline = r["w0"] or 0, sum(r[f"w{w}"] or 0 for w in range(1, 5)) / 4
        if this_week >= RISING_MIN and this_week >= RISING_RATIO * max(baseline, 1e-9):
            rising.append({"code": code, "name": vi, "name_en": en, "this_week": this_week,
                           "baseline": round(baseline, 1), "ratio": round(this_week / baseline, 2) if baseline else None})
    categories.sort(key=lambda r: -r["received"])
    rising.sort(key=lambda r: -(r["ratio"] or 1e9))

    # Daily series for the last SERIES_DAYS days.
    first = today - dt.timedelta(days=SERIES_DAYS - 1)
    by_day = {}
    series_synthetic = 0
    for r in q.rows("day, SUM(received) AS rec, SUM(resolved) AS res, SUM(synthetic) AS syn",
                    "day >= %s AND day <= %s", [q.day(first), q.day(today)], group="day"):
        day = r["day"] if isinstance(r["day"], dt.date) else dt.date.fromisoformat(str(r["day"]))
        by_day[day] = (r["rec"], r["res"])
        series_synthetic += r["syn"] or 0
    days = [first + dt.timedelta(days=i) for i in range(SERIES_DAYS)]
    series = {"days": [d.isoformat() for d in days],
              "received": [by_day.get(d, (0, 0))[0] for d in days],
              "resolved": [by_day.get(d, (0, 0))[1] for d in days]}

    return {
        "received": cur["received"], "received_previous": prev["received"],
        "received_change": cur["received"] - prev["received"],
        "resolved": cur["resolved"],
        "on_time_rate": cur["on_time_rate"], "on_time_rate_previous": prev["on_time_rate"],
        "on_time_rate_change": _change(cur["on_time_rate"], prev["on_time_rate"]),
        "satisfaction_rate": cur["satisfaction_rate"], "satisfaction_rate_previous": prev["satisfaction_rate"],
        "satisfaction_rate_change": _change(cur["satisfaction_rate"], prev["satisfaction_rate"]),
        "avg_rating": cur["avg_rating"], "rated": cur["rated"],
        "median_handling_hours": cur["median_handling_hours"],
        "overdue_backlog": snap["overdue"], "open_backlog": snap["open"], "backlog_as_of": snap["as_of"],
        "synthetic": cur["synthetic"],
        # Synthetic reports anywhere on the wall: in the period, the 30-day series or the open backlog (the
        # wall labels them whenever it shows any, not only when the period holds some).
        "synthetic_shown": cur["synthetic"] + series_synthetic + snap.get("synthetic", 0),
        "units": units, "communes": communes, "categories": categories, "rising": rising, "series": series,
    }


def indicator_block() -> dict:
    """Plan indicators by status per pillar, for each plan's next milestone (cached)."""
    cached = cache.get("ioc:indicators")
    if cached is not None:
        return cached
    status = optional_import("tinhso.indicators.status")
    plans = []
    if status is not None:
        from tinhso.indicators import units as uom
        from tinhso.indicators.models import Plan

        year = timezone.localdate().year
        for plan in Plan.objects.order_by("code"):
            milestones = sorted(int(m) for m in plan.milestones or [])
            if not milestones:
                continue
            # The milestone just passed while its final figures come in (the year after it), else the next one.
            just_passed = [m for m in milestones if year - 1 <= m <= year]
            upcoming = [m for m in milestones if m > year]
            chosen = just_passed[-1] if just_passed else (upcoming[0] if upcoming else milestones[-1])
            result = status.plan_status(plan.code, chosen)
            plans.append({
                "code": plan.code, "title": plan.title_vi, "title_en": plan.title_en, "milestone": result["milestone"],
                "pillars": [{"code": p["code"], "name": p["name"], "name_en": p["name_en"], "counts": p["counts"]}
                            for p in result["summary"]["pillars"]],
                "counts": result["summary"]["counts"],
                "indicators": [{"code": e["code"], "name": e["name"], "name_en": e["name_en"], "pillar": e["pillar"],
                                "status": e["status"], "latest": (e["latest"] or {}).get("value"),
                                "target": e["target"], "unit_of_measure": e["unit_of_measure"],
                                "unit_of_measure_en": uom.label_in(e["unit_of_measure"], "en"),
                                "series": e["series"], "forecast": e["forecast"]}
                               for e in result["indicators"]],
                "classes": result["summary"]["classes"],
            })
    out = {"as_of": timezone.now().isoformat(), "plans": plans}
    cache.set("ioc:indicators", out, INDICATORS_SECONDS)
    return out


def dossier_block(unit: str | None, period: str, bounds: dict) -> dict:
    """Public-service dossiers of the handling unit's agency (``unit`` None: the province) for the period,
    from the dossiers app's store when it holds data (:mod:`tinhso.ioc.services`); the province's
    published 766 rank (a sourced dataset) beside its own score."""
    from tinhso.ioc import services

    block = services.block(unit, period, bounds)
    if block.get("available") and not unit:
        ranks = [p for s in rankings_block().get("series", []) if s.get("index") == "svc-766"
                 and s.get("structure") == "current" for p in s["points"] if p.get("rank") is not None]
        latest = max(ranks, key=lambda p: p["period"]) if ranks else None
        block = {**block, "rank": latest["rank"] if latest else None, "rank_of": latest["of"] if latest else None,
                 "rank_period": latest["period"] if latest else None, "rank_source": latest["source"] if latest else None}
    return block


def summary(*, period: str = "today", unit: str | None = None, today: dt.date | None = None,
            public: bool = False, rollups: bool = True) -> dict:
    """The wall's figures for ``period`` (``today``/``week``/``month``), optionally one handling unit.
    ``rollups=False`` sums the per-day rows instead of the roll-ups (the same figures, more rows)."""
    today = today or timezone.localdate()
    bounds = period_bounds(period, today)
    unit_id = None
    if unit:
        unit_id = next((pk for pk, (code, *_) in _names()["units"].items() if code == unit), None)
        if unit_id is None:
            raise UserError("unknown_unit", f"Không có đơn vị {unit!r}", f"No unit {unit!r}", field="unit", status=404)
    aggregates.refresh_if_due()
    reports = report_block(unit_id, bounds, today, rollups)
    if public:
        for row in reports["units"]:
            row.pop("open", None)
    return {
        "generated_at": timezone.now().isoformat(),
        "province_code": settings.PROVINCE_CODE,
        "period": period, "unit": unit,
        "start": bounds["start"].isoformat(), "end": (bounds["end"] - dt.timedelta(days=1)).isoformat(),
        "previous_start": bounds["prev_start"].isoformat(),
        "previous_end": (bounds["prev_end"] - dt.timedelta(days=1)).isoformat(),
        "reports": reports,
        "dossiers": dossier_block(unit, period, bounds),
        "indicators": indicator_block(),
        "rankings": rankings_block(),
        "definitions": {k: {"vi": vi, "en": en} for k, (vi, en) in DEFINITIONS.items()},
    }


def rankings_block() -> dict:
    """Published DTI/PCI/766 ranks (a sourced dataset); missing ranks are shown as missing."""
    published = optional_import("tinhso.indices.published")
    if published is None:
        return {"available": False, "series": []}
    cached = cache.get("ioc:rankings")  # changes only when published tables are imported
    if cached is None:
        cached = published.rank_history(settings.PROVINCE_CODE)
        cache.set("ioc:rankings", cached, INDICATORS_SECONDS)
    return cached
