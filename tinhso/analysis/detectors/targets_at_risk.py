"""Targets at risk: plan indicators whose forecast misses their 2025/2030 target, with the yearly
progress still needed.

Uses the plan-status code of :mod:`tinhso.indicators` (:func:`tinhso.indicators.status.plan_status`:
the Statistics Canada CAGR forecast and the time-weighted regression of
:mod:`tinhso.indicators.progress`, with each plan's own thresholds). An indicator is reported when its
status for a milestone in ``milestones`` is one of ``statuses`` (at risk, off track, deteriorating).
The gap per year is ``(target − latest value) / (milestone − year of the latest value)`` (at least one
year), against the pace of the recent past ``(latest − base) / (latest year − base year)``. The
responsible unit is the plan's unit (a province or a commune). This is a rule on the plan's own
assessment, not a statistical test: its confidence is the forecast score's distance from the
on-track threshold, bounded to [0.5, 0.99].
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tinhso.analysis.findings import Context, Finding, Link

KIND = "targets_at_risk"
SEVERITY = {"deteriorating": 7.0, "off_track": 6.0, "at_risk": 4.0}


def detect(ctx: Context) -> list[Finding]:
    from tinhso.indicators.models import Plan
    from tinhso.indicators.status import plan_status

    p = ctx.params
    statuses = set(p["statuses"])
    # The plan as it stood at the end of the month analysed (figures recorded before then), so that a past
    # month regenerated later says what was known then.
    as_of = dt.datetime.combine(ctx.month_end, dt.time(), tzinfo=timezone.get_current_timezone())
    out = []
    for plan in Plan.objects.select_related("unit").order_by("code"):
        for milestone in p["milestones"]:
            if milestone < ctx.month.year or milestone not in (plan.milestones or []):
                continue
            try:
                doc = plan_status(plan.code, milestone, as_of=as_of)
            except Exception:  # noqa: BLE001 — a plan without that milestone has nothing to say
                continue
            for e in doc["indicators"]:
                target, latest = e.get("target"), e.get("latest")
                if e["status"] not in statuses or target is None or not latest:
                    continue
                value, year = latest.get("value"), latest.get("period")
                if value is None or year is None:
                    continue
                years_left = max(1, int(milestone) - int(year))
                needed = (float(target) - float(value)) / years_left
                series = e.get("series") or []
                pace = None
                if len(series) >= 2 and series[-1][0] != series[0][0]:
                    pace = (series[-1][1] - series[0][1]) / (series[-1][0] - series[0][0])
                unit = plan.unit
                score = e.get("score")
                out.append(Finding(
                    kind=KIND, unit_code=unit.code if unit else "", unit_name=unit.name if unit else plan.code,
                    unit_name_en=(unit.name_en or "") if unit else "",
                    unit_kind="province" if unit is None or unit.level == "province" else "commune",
                    severity=SEVERITY.get(e["status"], 3.0),
                    confidence=round(min(0.99, max(0.5, 0.5 + abs((score or 0.0) - 2.5) / 10)), 3),
                    rule=f"plan status for {milestone}: {e['status']} ({e.get('method') or 'forecast'})",
                    figures={"month": f"{ctx.month:%Y-%m}", "milestone": int(milestone), "status": e["status"],
                             "latest": value, "latest_year": int(year), "target": float(target),
                             "needed_per_year": round(needed, 4), "pace_per_year": None if pace is None else round(pace, 4),
                             "years_left": years_left, "score": score, "method": e.get("method") or ""},
                    subject={"plan": plan.code, "indicator": e["code"], "indicator_vi": e["name"],
                             "indicator_en": e.get("name_en") or e["name"], "unit_of_measure": e.get("unit_of_measure", "")},
                    links=[Link("Kế hoạch và chỉ tiêu", "Plan and targets", f"/ke-hoach/{plan.code}")],
                    area="plan"))
    return out
