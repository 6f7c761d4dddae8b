"""The status of a plan at a milestone: every indicator assessed, then pillar and plan summaries.

This is the one place the CLI (``tinhso indicators status``), the API
(``GET /api/v1/plans/{code}/status``), the plan page and the exports get their figures from.
"""

from __future__ import annotations

from collections import Counter
from statistics import mean

from tinhso.core.errors import UserError
from tinhso.indicators import progress
from tinhso.indicators.models import AdminLevel, Observation, Plan, PlanIndicator, Target, ThresholdSet
from tinhso.indicators.observations import current_rows

# A headline target is the whole-unit one, else the provincial tier (the plan's own level).
HEADLINE_LEVELS = [AdminLevel.ALL, AdminLevel.PROVINCE, AdminLevel.DISTRICT, AdminLevel.COMMUNE]


def get_plan(code: str) -> Plan:
    plan = Plan.objects.select_related("unit", "source", "thresholds").filter(code=code).first()
    if plan is None:
        raise UserError("plan_not_found", f"Không có kế hoạch mã {code!r}", f"No plan with code {code!r}",
                        field="plan", status=404)
    return plan


def threshold_set(plan: Plan) -> ThresholdSet | None:
    return plan.thresholds or ThresholdSet.objects.filter(is_default=True).order_by("id").first()


def params_for(plan: Plan) -> progress.Params:
    chosen = threshold_set(plan)
    return progress.Params.from_dict(chosen.params if chosen else {})


def check_milestone(plan: Plan, milestone: int | str | None) -> int:
    try:
        year = int(milestone)
    except (TypeError, ValueError):
        year = None
    if year not in plan.milestones:
        raise UserError("unknown_milestone",
                        f"Mốc {milestone!r} không thuộc kế hoạch {plan.code} (các mốc: {plan.milestones})",
                        f"Milestone {milestone!r} is not one of plan {plan.code}'s milestones {plan.milestones}",
                        field="milestone")
    return year


def _source_dict(obs: Observation) -> dict:
    s = obs.source
    return {"key": s.key, "title": s.title, "publisher": s.publisher, "url": s.url,
            "published": s.published.isoformat() if s.published else None, "reference": s.reference}


def _latest_dict(obs: Observation | None) -> dict | None:
    if obs is None:
        return None
    return {"value": obs.value, "period": obs.period, "period_label": obs.period_label,
            "qualifier": obs.qualifier, "reported_met_milestone": obs.reported_met_milestone,
            "source": _source_dict(obs), "quote": obs.quote, "note": obs.note}


def _assess_target(item: PlanIndicator, target: Target | None, level: str, rows: list[Observation],
                   milestone: int, params: progress.Params) -> dict:
    ind = item.indicator
    plan = item.plan
    numeric = [o for o in rows if o.level == level and o.value is not None]
    statements = [o for o in rows if o.level in (level, AdminLevel.ALL) and o.value is None
                  and o.reported_met_milestone == milestone]
    series = [(o.period, o.value) for o in numeric]
    result = progress.assess(
        series, target=target.value if target else None, target_year=milestone, base_year=plan.base_year,
        direction=ind.direction, limit=ind.natural_limit,
        comparator=target.comparator if target else ">=", target_high=target.value_high if target else None,
        reported_met=bool(statements), params=params)
    # Shown as "latest": the newest figure, or a newer "target met" statement (for any milestone).
    any_statements = [o for o in rows if o.level in (level, AdminLevel.ALL) and o.value is None]
    shown = numeric[-1] if numeric else (any_statements[-1] if any_statements else None)
    if numeric and any_statements and any_statements[-1].period > numeric[-1].period:
        shown = any_statements[-1]
    abolished = target.level_abolished_on if target else None
    return {
        "level": level,
        "target": target.value if target else None,
        "target_high": target.value_high if target else None,
        "comparator": target.comparator if target else None,
        "target_quote": target.quote if target else "",
        "status": result.status,
        "score": result.score,
        "latest": _latest_dict(shown),
        "series": [[period, value] for period, value in series],
        "forecast": result.forecast,
        "to_date": result.to_date,
        "method": result.method,
        "method_vi": result.method_in(english=False),
        "reason": result.reason,
        "level_abolished_on": abolished.isoformat() if abolished else None,
        "level_note": (f"Cấp huyện không còn tồn tại từ {abolished:%d/%m/%Y}: chỉ tiêu cấp này không còn đo được "
                       f"sau ngày đó / The district level ceased to exist on {abolished.isoformat()}: this "
                       f"target cannot be measured after that date" if abolished else ""),
    }


def _worst(statuses: list[str]) -> str:
    return min(statuses, key=progress.SEVERITY.index)


def assess_item(item: PlanIndicator, milestone: int, params: progress.Params, as_of=None) -> dict:
    ind = item.indicator
    targets = [t for t in item.targets.all() if t.milestone == milestone]
    rows = current_rows(ind, item.plan.unit, as_of=as_of)
    if targets:
        levels = [_assess_target(item, t, t.level, rows, milestone, params)
                  for t in sorted(targets, key=lambda t: HEADLINE_LEVELS.index(t.level))]
    else:
        levels = [_assess_target(item, None, AdminLevel.ALL, rows, milestone, params)]
    head = levels[0]
    return {
        "code": ind.code,
        "name": ind.name_vi,
        "name_en": ind.name_en,
        "pillar": item.pillar.code,
        "pillar_name": item.pillar.name_vi,
        "unit_of_measure": ind.unit_of_measure,
        "direction": ind.direction,
        "natural_limit": ind.natural_limit,
        "status": _worst([lv["status"] for lv in levels]),
        "score": head["score"] if len(levels) == 1 else _mean([lv["score"] for lv in levels]),
        "latest": head["latest"],
        "series": head["series"],
        "target": head["target"],
        "comparator": head["comparator"],
        "forecast": head["forecast"],
        "to_date": head["to_date"],
        "method": head["method"],
        "method_vi": head["method_vi"],
        "levels": levels if len(levels) > 1 or levels[0]["level"] != AdminLevel.ALL else [],
        "wording": item.wording_vi,
    }


def _mean(scores: list[float | None]) -> float | None:
    known = [s for s in scores if s is not None]
    return round(mean(known), 3) if known else None


def summarise(entries: list[dict]) -> dict:
    counts = Counter(e["status"] for e in entries)
    urgent = [e for e in entries if e["status"] in (progress.DETERIORATING, progress.OFF_TRACK, progress.AT_RISK)]
    urgent.sort(key=lambda e: (progress.SEVERITY.index(e["status"]), e["score"] if e["score"] is not None else 0))
    mean_score = _mean([e["score"] for e in entries])
    return {
        "indicators": len(entries),
        "mean_score": mean_score,
        "mean_class": progress.class_from_score(mean_score) if mean_score is not None else None,
        "counts": {status: counts.get(status, 0) for status in progress.CLASSES},
        "needs_action_first": [e["code"] for e in urgent[:5]],
        "needs_data": [e["code"] for e in entries if e["status"] == progress.INSUFFICIENT],
    }


def plan_status(code: str, milestone: int | str, as_of=None) -> dict:
    """``{"plan", "milestone", "indicators": [...], "summary": {...}}`` for the CLI/API/page; with
    ``as_of`` (an aware datetime), from the figures as they were recorded then (the monthly analysis
    judges a month at its end)."""
    plan = get_plan(code)
    year = check_milestone(plan, milestone)
    params = params_for(plan)
    items = (PlanIndicator.objects.filter(plan=plan).select_related("indicator", "pillar", "plan", "plan__unit")
             .prefetch_related("targets").order_by("pillar__order", "order"))
    entries = [assess_item(item, year, params, as_of) for item in items]
    pillars = []
    for item in items:
        if not pillars or pillars[-1]["code"] != item.pillar.code:
            pillars.append({"code": item.pillar.code, "name": item.pillar.name_vi, "name_en": item.pillar.name_en})
    for pillar in pillars:
        pillar.update(summarise([e for e in entries if e["pillar"] == pillar["code"]]))
    summary = summarise(entries)
    chosen = threshold_set(plan)
    summary.update({
        "pillars": pillars,
        "unit": {"structure": plan.unit.structure, "code": plan.unit.code, "name": plan.unit.name,
                 "valid_to": plan.unit.valid_to.isoformat() if plan.unit.valid_to else None},
        "thresholds": {"code": chosen.code if chosen else None, "params": params.__dict__},
        "classes": {k: {"vi": vi, "en": en} for k, (vi, en) in progress.CLASS_LABELS.items()},
    })
    return {"plan": plan.code, "milestone": year, "indicators": entries, "summary": summary}
