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
from collections import defaultdict

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Sum
from django.utils import timezone

from tinhso.core.errors import UserError
from tinhso.core.modules import optional_import
from tinhso.ioc import aggregates
from tinhso.ioc.aggregates import HOURS_EDGES
from tinhso.ioc.models import ReportDay

PERIODS = ("today", "week", "month")
BACKLOG_SECONDS = 10
INDICATORS_SECONDS = 60
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


def _scope(qs, unit: str | None):
    return qs.filter(handling_unit__code=unit) if unit else qs


def _totals(unit: str | None, start: dt.date, end: dt.date) -> dict:
    qs = _scope(ReportDay.objects.filter(day__gte=start, day__lt=end), unit)
    t = qs.aggregate(received=Sum("received"), resolved=Sum("resolved"), on_time=Sum("on_time"),
                     rated=Sum("rated"), rating_sum=Sum("rating_sum"), satisfied=Sum("satisfied"),
                     synthetic=Sum("synthetic"))
    t = {k: v or 0 for k, v in t.items()}
    hist = [0] * len(HOURS_EDGES)
    for row in qs.exclude(resolved=0).values_list("hours_hist", flat=True):
        for i, n in enumerate(row):
            hist[i] += n
    return {
        "received": t["received"], "resolved": t["resolved"], "on_time": t["on_time"],
        "on_time_rate": _rate(t["on_time"], t["resolved"]),
        "rated": t["rated"], "avg_rating": round(t["rating_sum"] / t["rated"], 2) if t["rated"] else None,
        "satisfaction_rate": _rate(t["satisfied"], t["rated"]),
        "median_handling_hours": median_from_hist(hist), "synthetic": t["synthetic"],
    }


def backlog(unit: str | None = None) -> dict:
    """Open and overdue reports now, per handling unit and commune (cached :data:`BACKLOG_SECONDS`)."""
    key = f"ioc:backlog:{unit or '*'}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    from tinhso.reports import sla
    from tinhso.reports.models import Report

    now = timezone.now()
    open_qs = _scope(Report.objects.filter(is_open=True).exclude(state="merged"), unit)
    overdue_qs = open_qs.filter(sla.overdue_q(now))
    out = {
        "as_of": now.isoformat(),
        "open": open_qs.count(),
        "overdue": overdue_qs.count(),
        "overdue_by_unit": dict(overdue_qs.values_list("handling_unit__code").annotate(n=Count("id"))),
        "open_by_unit": dict(open_qs.values_list("handling_unit__code").annotate(n=Count("id"))),
        "overdue_by_commune": dict(overdue_qs.values_list("commune__code").annotate(n=Count("id"))),
    }
    cache.set(key, out, BACKLOG_SECONDS)
    return out


def _change(now_value, before_value):
    if now_value is None or before_value is None:
        return None
    return round(now_value - before_value, 4)


def report_block(unit: str | None, bounds: dict, today: dt.date) -> dict:
    cur = _totals(unit, bounds["start"], bounds["end"])
    prev = _totals(unit, bounds["prev_start"], bounds["prev_end"])
    snap = backlog(unit)
    period_rows = _scope(ReportDay.objects.filter(day__gte=bounds["start"], day__lt=bounds["end"]), unit)

    # League table per handling unit.
    league = []
    per_unit = (period_rows.values("handling_unit__code", "handling_unit__name")
                .annotate(received=Sum("received"), resolved=Sum("resolved"), on_time=Sum("on_time"),
                          rated=Sum("rated"), satisfied=Sum("satisfied")))
    hists: dict[str | None, list[int]] = defaultdict(lambda: [0] * len(HOURS_EDGES))
    for code, hist in period_rows.exclude(resolved=0).values_list("handling_unit__code", "hours_hist"):
        for i, n in enumerate(hist):
            hists[code][i] += n
    for r in per_unit:
        code = r["handling_unit__code"]
        league.append({
            "code": code, "name": r["handling_unit__name"] or "—", "received": r["received"],
            "resolved": r["resolved"], "on_time_rate": _rate(r["on_time"], r["resolved"]),
            "overdue": snap["overdue_by_unit"].get(code, 0), "open": snap["open_by_unit"].get(code, 0),
            "median_handling_hours": median_from_hist(hists[code]) if code in hists else None,
            "satisfaction_rate": _rate(r["satisfied"], r["rated"]),
        })
    listed = {row["code"] for row in league}
    missing = [code for code in snap["open_by_unit"] if code not in listed]
    if missing:
        from tinhso.reports.models import HandlingUnit

        names = dict(HandlingUnit.objects.filter(code__in=[c for c in missing if c]).values_list("code", "name"))
        for code in missing:
            league.append({"code": code, "name": names.get(code, "—"), "received": 0, "resolved": 0,
                           "on_time_rate": None, "overdue": snap["overdue_by_unit"].get(code, 0),
                           "open": snap["open_by_unit"][code], "median_handling_hours": None,
                           "satisfaction_rate": None})
    league.sort(key=lambda r: (-r["overdue"], -r["received"], r["name"]))

    # Per commune, for the choropleth.
    communes = []
    for r in (period_rows.values("commune__code", "commune__name")
              .annotate(received=Sum("received"), resolved=Sum("resolved"), on_time=Sum("on_time"))):
        if r["commune__code"] is None:
            continue
        communes.append({"code": r["commune__code"], "name": r["commune__name"], "received": r["received"],
                         "on_time_rate": _rate(r["on_time"], r["resolved"]),
                         "overdue": snap["overdue_by_commune"].get(r["commune__code"], 0)})

    # Per category, this period vs the previous one.
    prev_cat = dict(_scope(ReportDay.objects.filter(day__gte=bounds["prev_start"], day__lt=bounds["prev_end"]), unit)
                    .values_list("category__code").annotate(n=Sum("received")))
    categories = [{"code": r["category__code"], "name": r["category__name_vi"], "name_en": r["category__name_en"],
                   "received": r["received"], "previous": prev_cat.get(r["category__code"], 0)}
                  for r in period_rows.values("category__code", "category__name_vi", "category__name_en")
                  .annotate(received=Sum("received")).order_by("-received")]

    # Daily series for the last SERIES_DAYS days.
    first = today - dt.timedelta(days=SERIES_DAYS - 1)
    by_day = {d: (rec, res) for d, rec, res in
              _scope(ReportDay.objects.filter(day__gte=first, day__lte=today), unit)
              .values_list("day").annotate(rec=Sum("received"), res=Sum("resolved")).order_by("day")}
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
        "units": league, "communes": communes, "categories": categories,
        "rising": rising_categories(unit, today), "series": series,
    }


def rising_categories(unit: str | None, today: dt.date) -> list[dict]:
    """Categories whose count this week (Monday to today) rose well above the 4 previous weeks."""
    week_start = today - dt.timedelta(days=today.weekday())
    span = (today - week_start).days + 1
    counts = defaultdict(lambda: [0] * 5)
    names = {}
    for w in range(5):
        start = week_start - dt.timedelta(days=7 * w)
        rows = (_scope(ReportDay.objects.filter(day__gte=start, day__lt=start + dt.timedelta(days=span)), unit)
                .values_list("category__code", "category__name_vi").annotate(n=Sum("received")))
        for code, name, n in rows:
            counts[code][w] = n
            names[code] = name
    out = []
    for code, c in counts.items():
        baseline = sum(c[1:]) / 4
        if c[0] >= RISING_MIN and c[0] >= RISING_RATIO * max(baseline, 1e-9):
            out.append({"code": code, "name": names[code], "this_week": c[0], "baseline": round(baseline, 1),
                        "ratio": round(c[0] / baseline, 2) if baseline else None})
    out.sort(key=lambda r: -(r["ratio"] or 1e9))
    return out


def indicator_block() -> dict:
    """Plan indicators by status per pillar, for each plan's next milestone (cached)."""
    cached = cache.get("ioc:indicators")
    if cached is not None:
        return cached
    status = optional_import("tinhso.indicators.status")
    plans = []
    if status is not None:
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
                                "series": e["series"], "forecast": e["forecast"]}
                               for e in result["indicators"]],
                "classes": result["summary"]["classes"],
            })
    out = {"as_of": timezone.now().isoformat(), "plans": plans}
    cache.set("ioc:indicators", out, INDICATORS_SECONDS)
    return out


def dossier_block(unit: str | None, bounds: dict) -> dict:
    """Public-service dossiers: only when the dossiers app holds data; never invented numbers."""
    service = optional_import("tinhso.dossiers.wall")
    if service is None:
        return {"available": False}
    return service.wall_figures(unit=unit, start=bounds["start"], end=bounds["end"],
                                prev_start=bounds["prev_start"], prev_end=bounds["prev_end"])


def summary(*, period: str = "today", unit: str | None = None, today: dt.date | None = None,
            public: bool = False) -> dict:
    """The wall's figures for ``period`` (``today``/``week``/``month``), optionally one handling unit."""
    today = today or timezone.localdate()
    bounds = period_bounds(period, today)
    if unit:
        from tinhso.reports.models import HandlingUnit

        if not HandlingUnit.objects.filter(code=unit).exists():
            raise UserError("unknown_unit", f"Không có đơn vị {unit!r}", f"No unit {unit!r}", field="unit", status=404)
    aggregates.refresh()
    reports = report_block(unit, bounds, today)
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
        "dossiers": dossier_block(unit, bounds),
        "indicators": indicator_block(),
        "rankings": rankings_block(),
        "definitions": {k: {"vi": vi, "en": en} for k, (vi, en) in DEFINITIONS.items()},
    }


def rankings_block() -> dict:
    """Published DTI/PCI/766 ranks (a sourced dataset); missing ranks are shown as missing."""
    published = optional_import("tinhso.indices.published")
    if published is None:
        return {"available": False, "series": []}
    return published.rank_history(settings.PROVINCE_CODE)
