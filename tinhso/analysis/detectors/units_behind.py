"""Units falling behind: handling units whose reports are resolved late, rated worse, returned to the
IOC more often or pile up; dossier agencies and communes whose Decision 766 points fall.

**Reports** (one grouped query per measure over the month and the ``history_months`` before it; each
unit tested against its own history, steadied by ``prior_weight`` pseudo-cases at the province's rate
(empirical Bayes), and only with at least ``min_count`` cases in the month):

- on-time rate (resolved no later than the handling deadline, among reports resolved in the month):
  X ~ BetaBinomial(n, a, b), the predictive of the unit's historical rate; lower tail;
- satisfaction (ratings of 4–5 among ratings given in the month): the same test;
- returns to the IOC (``return_to_ioc`` events among reports assigned in the month): upper tail;
- backlog (reports open at the end of the month): negative binomial against the unit's open counts at
  the previous month ends, and at least ``min_backlog_growth`` times their mean.

A change must also be large: ``min_drop`` (a fraction, e.g. 0.15 = 15 points) for rates. All the
p-values of all units and measures go through one Benjamini–Hochberg correction at level ``alpha``.

**Dossiers** (when the dossier store holds data): the 766 indicators of the month and the month
before (:func:`tinhso.dossiers.indicators.compute_many`, per agency and per commune, judged at the
month's end so a past month always gives the same figures). A unit one of whose indicator groups
lost at least ``min_points_drop`` points more than the level's average loss in that group is reported
with that group (the one that lost most; groups with points in both months); the fall must also be
significant: for the record-based rates of
that group, the month's numerator against the previous month's rate moved by the level's pooled change
(a difference-in-differences: what all units share — a season, the last days' dossiers not finished
when the month is analysed — is not one unit's fall), beta-binomial lower tail, Bonferroni over the
group's rates, then Benjamini–Hochberg across units at level ``alpha``.
"""

from __future__ import annotations

import datetime as dt
import math
from urllib.parse import quote

from django.conf import settings
from django.db.models import Count, F, Q

from tinhso.analysis.detectors._common import (
    benjamini_hochberg,
    clean,
    confidence,
    count_upper_p,
    month_bounds,
    month_label,
    month_stats_url,
    record_links,
    share_lower_p,
    share_upper_p,
)
from tinhso.analysis.findings import Context, Finding, Link, Series

KIND = "units_behind"


def _by_unit_month(qs, field: str, bounds: list[tuple[str, object, object]], k_filter: Q | None = None,
                   unit_field: str = "handling_unit_id") -> dict[tuple[int, str], dict]:
    """{(unit id, YYYY-MM): {"n": count, "k": count also matching ``k_filter``}}: one grouped query with a
    conditional count per month (plain comparisons, no date functions: native on SQLite too)."""
    counts = {}
    for i, (_label, a, b) in enumerate(bounds):
        inside = Q(**{f"{field}__gte": a, f"{field}__lt": b})
        counts[f"n{i}"] = Count("id", filter=inside)
        if k_filter is not None:
            counts[f"k{i}"] = Count("id", filter=inside & k_filter)
    out = {}
    for r in qs.values(unit_field).annotate(**counts).order_by():
        for i, (label, _a, _b) in enumerate(bounds):
            if r[unit_field] and r[f"n{i}"]:
                out[(r[unit_field], label)] = {"n": r[f"n{i}"], "k": r.get(f"k{i}", 0)}
    return out


def report_tests(ctx: Context) -> list[dict]:
    from tinhso.reports.models import Report, ReportEvent, State

    p = ctx.params
    h = int(p["history_months"])
    start, end = month_bounds(ctx.month)
    since, _ = month_bounds(ctx.month, h)
    current = month_label(ctx.month)
    base = Report.objects.filter(province_code=settings.PROVINCE_CODE)
    bounds = [(month_label(ctx.month, k), *month_bounds(ctx.month, k)) for k in range(h, -1, -1)]
    resolved = _by_unit_month(base.filter(resolved_at__gte=since, resolved_at__lt=end, handle_due__isnull=False),
                              "resolved_at", bounds, Q(resolved_at__lte=F("handle_due")))
    rated = _by_unit_month(base.filter(rated_at__gte=since, rated_at__lt=end, rating__isnull=False), "rated_at",
                           bounds, Q(rating__gte=4))
    assigned = _by_unit_month(base.filter(assigned_at__gte=since, assigned_at__lt=end), "assigned_at", bounds)
    returned = _by_unit_month(ReportEvent.objects.filter(action="return_to_ioc", at__gte=since, at__lt=end,
                                                         report__province_code=settings.PROVINCE_CODE),
                              "at", bounds, unit_field="report__handling_unit_id")
    returns = {key: v["n"] for key, v in returned.items()}
    ends = [month_bounds(ctx.month, k)[1] for k in range(h, -1, -1)]  # month ends, oldest first
    open_q = {f"open_{i}": Count("id", filter=Q(created_at__lt=t) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=t))
                                & ~Q(state__in=(State.REJECTED, State.MERGED)))
              for i, t in enumerate(ends)}
    backlog = {r["handling_unit_id"]: r for r in base.filter(handling_unit__isnull=False, created_at__lt=end)
               .values("handling_unit_id").annotate(**open_q).order_by()}
    months = [month_label(ctx.month, k) for k in range(h, 0, -1)]
    units = {u for (u, _m) in resolved} | {u for (u, _m) in rated} | set(backlog)
    min_count = int(p["min_count"])
    min_drop = float(p["min_drop"])
    tests = []
    pooled = {}
    for measure, table in (("on_time", resolved), ("satisfaction", rated)):
        n_all = sum(r["n"] for (_u, m), r in table.items() if m in months)
        k_all = sum(r["k"] for (_u, m), r in table.items() if m in months)
        pooled[measure] = k_all / n_all if n_all else None
    weight = float(p["prior_weight"])
    for u in units:
        for measure, table in (("on_time", resolved), ("satisfaction", rated)):
            cur = table.get((u, current))
            hist_n = sum(table.get((u, m), {}).get("n", 0) for m in months)
            hist_k = sum(table.get((u, m), {}).get("k", 0) for m in months)
            if not cur or cur["n"] < min_count or pooled[measure] is None:
                continue
            rate = cur["k"] / cur["n"]
            # The reference: the unit's history steadied by the province's rate (the posterior mean).
            before = (hist_k + weight * pooled[measure]) / (hist_n + weight)
            pval = (share_lower_p(cur["k"], cur["n"], hist_k, hist_n, pooled[measure], weight)
                    if before - rate >= min_drop else 1.0)
            tests.append({"unit": u, "measure": measure, "p": pval, "observed": rate, "before": before,
                          "count": cur["n"], "numerator": cur["k"],
                          "series": [(m, (table.get((u, m)) or {}).get("k"), (table.get((u, m)) or {}).get("n"))
                                     for m in [*months, current]]})
        cur_assigned = assigned.get((u, current), {}).get("n", 0)
        cur_returns = returns.get((u, current), 0)
        hist_assigned = sum(assigned.get((u, m), {}).get("n", 0) for m in months)
        hist_returns = sum(returns.get((u, m), 0) for m in months)
        if cur_assigned >= min_count and hist_assigned >= min_count:
            rate = min(1.0, cur_returns / cur_assigned)
            before = min(1.0, hist_returns / hist_assigned)
            pval = (share_upper_p(min(cur_returns, cur_assigned), cur_assigned, min(hist_returns, hist_assigned),
                                  hist_assigned, prior=1.0) if rate - before >= min_drop else 1.0)
            tests.append({"unit": u, "measure": "returns", "p": pval, "observed": rate, "before": before,
                          "count": cur_assigned, "numerator": cur_returns,
                          "series": [(m, returns.get((u, m), 0), assigned.get((u, m), {}).get("n", 0))
                                     for m in [*months, current]]})
        b = backlog.get(u)
        if b:
            previous = [b[f"open_{i}"] for i in range(h)]
            now_open = b[f"open_{h}"]
            mean = sum(previous) / len(previous) if previous else 0.0
            var = sum((x - mean) ** 2 for x in previous) / max(1, len(previous) - 1)
            pval = 1.0
            if now_open >= min_count and now_open >= float(p["min_backlog_growth"]) * max(mean, 1.0):
                pval = count_upper_p(now_open, max(mean, 1.0), max(var, mean, 1.0) * (1 + 1 / max(1, len(previous))))
            tests.append({"unit": u, "measure": "backlog", "p": pval, "observed": now_open, "before": mean,
                          "count": now_open, "numerator": now_open,
                          "series": [(m, x, None) for m, x in zip([*months, current], [*previous, now_open])]})
    return tests


def counted_records(ctx: Context, unit_id: int, measure: str) -> list[tuple[str, str, str]]:
    """The reports a measure of :func:`report_tests` counts for a unit in the month, as (code, note vi,
    note en): the same filters as the counts, the numerator's cases told apart and the worst first
    (late, rated 1–3, returned; the backlog's oldest)."""
    from tinhso.reports.models import Report, ReportEvent, State

    start, end = month_bounds(ctx.month)
    base = Report.objects.filter(province_code=settings.PROVINCE_CODE, handling_unit_id=unit_id)
    if measure == "on_time":
        rows = (base.filter(resolved_at__gte=start, resolved_at__lt=end, handle_due__isnull=False)
                .values_list("code", "resolved_at", "handle_due"))
        return [(c, "đúng hạn", "on time") if at <= due else (c, "trễ hạn", "late")
                for c, at, due in sorted(rows, key=lambda r: (r[1] <= r[2], r[1], r[0]))]
    if measure == "satisfaction":
        rows = (base.filter(rated_at__gte=start, rated_at__lt=end, rating__isnull=False)
                .values_list("code", "rating", "rated_at"))
        return [(c, f"{r} sao", f"{r} star{'s' if r != 1 else ''}")
                for c, r, _at in sorted(rows, key=lambda r: (r[1] >= 4, r[1], r[2], r[0]))]
    if measure == "returns":
        events = (ReportEvent.objects.filter(action="return_to_ioc", at__gte=start, at__lt=end,
                                             report__province_code=settings.PROVINCE_CODE,
                                             report__handling_unit_id=unit_id)
                  .values_list("report__code", flat=True))
        times: dict[str, int] = {}
        for code in events:
            times[code] = times.get(code, 0) + 1
        assigned = base.filter(assigned_at__gte=start, assigned_at__lt=end).order_by("assigned_at", "code")
        out = [(c, "trả lại IOC" + (f" {n} lần" if n > 1 else ""), "returned to the IOC" + (f" {n} times" if n > 1 else ""))
               for c, n in sorted(times.items())]
        return out + [(c, "", "") for c in assigned.values_list("code", flat=True) if c not in times]
    rows = (base.filter(created_at__lt=end).filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=end))
            .exclude(state__in=(State.REJECTED, State.MERGED)).order_by("created_at", "code"))
    return [(c, "", "") for c in rows.values_list("code", flat=True)]


MEASURE_NAMES = {"on_time": ("Tỷ lệ xử lý đúng hạn", "On-time rate", "%"),
                 "satisfaction": ("Tỷ lệ hài lòng (4–5 sao)", "Satisfied (4–5 stars)", "%"),
                 "returns": ("Tỷ lệ trả lại IOC", "Returned to the IOC", "%"),
                 "backlog": ("Phản ánh tồn đọng cuối tháng", "Open reports at month end", "reports")}


def report_findings(ctx: Context, tests: list[dict], keep: list[bool]) -> list[Finding]:
    from tinhso.reports.models import HandlingUnit, UnitKind

    alpha = float(ctx.params["alpha"])
    chosen = [t for t, k in zip(tests, keep) if k]
    units = {u.pk: u for u in HandlingUnit.objects.filter(pk__in={t["unit"] for t in chosen}).select_related("commune")}
    out = []
    for t in chosen:
        u = units.get(t["unit"])
        if u is None:
            continue
        vi, en, unit = MEASURE_NAMES[t["measure"]]
        rate = t["measure"] != "backlog"
        observed = [(k / n if n else 0.0) if rate else float(k or 0) for _m, k, n in t["series"]]
        subject = {"area": "reports", "measure": t["measure"], "measure_vi": vi, "measure_en": en,
                   "handling_unit_code": u.code}
        if u.kind == UnitKind.COMMUNE_COMMITTEE and u.commune_id:
            subject["commune_code"] = u.commune.code
        change = t["observed"] - t["before"]
        records, more = record_links(counted_records(ctx, u.pk, t["measure"]))
        out.append(Finding(
            kind=KIND, unit_code=u.code, unit_name=u.name, unit_name_en=u.name_en or "", unit_kind="handling_unit",
            severity=round(min(10.0, 2 + 8 * min(1.0, abs(change) if rate else abs(change) / max(t["before"], 1.0))
                               + min(2.0, -math.log10(max(t["p"], 1e-300)) / 10)), 3),
            confidence=confidence(t["p"]),
            rule=(f"{t['measure']}: month vs the unit's previous {ctx.params['history_months']} months, "
                  f"{'beta-binomial' if rate else 'negative-binomial'} tail p ≤ BH(α = {alpha:g}), "
                  f"at least {ctx.params['min_count']} cases"),
            figures={"month": f"{ctx.month:%Y-%m}", "measure": t["measure"], "observed": clean(t["observed"]),
                     "before": clean(t["before"]), "change": clean(change), "count": t["count"],
                     "numerator": t["numerator"], "p_value": clean(t["p"], 6), "alpha": alpha,
                     "history_months": int(ctx.params["history_months"]), "min_count": int(ctx.params["min_count"])},
            subject=subject,
            # The records counted; the statistics page counts the reports received in the month: context only.
            links=[*records, Link("Thống kê theo đơn vị của các phản ánh tiếp nhận trong tháng",
                                  "Statistics per unit of the reports received in the month",
                                  month_stats_url(ctx.month), context=True)],
            more_records=more,
            series=Series(title_vi=vi, title_en=en, x=[m for m, _k, _n in t["series"]], observed=observed, unit=unit),
            area="reports"))
    return out


def _group_leaves() -> dict[str, list[str]]:
    from tinhso.dossiers.indicators import GROUPS, METHOD
    from tinhso.indices.methodology import load_method

    method = load_method(METHOD)

    def leaves(code):
        node = method.nodes[code]
        return [code] if node.is_leaf else [x for c in node.children for x in leaves(c)]

    return {g: leaves(g) for g in GROUPS if g in method.nodes}


GROUP_NAMES = {"transparency": ("Công khai, minh bạch", "Transparency"),
               "progress": ("Tiến độ, kết quả giải quyết", "Progress and results"),
               "online_processing": ("Dịch vụ công trực tuyến", "Online public services"),
               "online_payment": ("Thanh toán trực tuyến", "Online payment"),
               "digitisation": ("Số hóa hồ sơ", "Digitisation"),
               "satisfaction": ("Mức độ hài lòng", "Satisfaction")}


def _logit(x: float) -> float:
    x = min(max(x, 0.005), 0.995)
    return math.log(x / (1 - x))


def _points(node, rate_pct: float) -> float:
    """The 766 points an indicator earns at ``rate_pct`` (its scoring rule in ``svc-766``)."""
    import numpy as np

    from tinhso.indices.engine import score_input

    return float(score_input(node, np.array([rate_pct]))[0])


def dossier_tests(ctx: Context) -> list[dict]:
    """One test per unit × 766 group: each record-based indicator of the group (numerator and
    denominator from the dossiers) is tested against what the unit's previous month predicts once moved
    by the level's change; the group's p-value is the smallest, Bonferroni over the indicators tested."""
    from tinhso.dossiers import store
    from tinhso.dossiers.indicators import METHOD, compute_many
    from tinhso.dossiers.models import DossierImport
    from tinhso.indices.methodology import load_method

    if not DossierImport.objects.exists() or not store.files():
        return []
    p = ctx.params
    min_dossiers, min_drop = int(p["min_dossiers"]), float(p["min_drop"])
    current, previous = month_label(ctx.month), month_label(ctx.month, 1)
    last_day = month_bounds(ctx.month)[1].date() - dt.timedelta(days=1)
    results = compute_many([previous, current], levels=("agency", "commune"), today=last_day)
    groups = _group_leaves()
    nodes = load_method(METHOD).nodes
    tests = []
    for level in ("agency", "commune"):
        before = {u["code"]: u for u in results[(previous, level)]["units"]}
        pairs = [(u, before[u["code"]]) for u in results[(current, level)]["units"]
                 if u["code"] in before and u["buckets"].get("total", 0) >= min_dossiers]
        sums = _level_sums(pairs)
        for u, b in pairs:
            for group, leaves in groups.items():
                ps, evidence = [], []
                for code in leaves:
                    counts = _counts(u, b, code)
                    # Scored shares only (2.2, an average time, and the monitored 5.1 earn no points).
                    if counts is None or code not in sums or code not in nodes or not nodes[code].counts \
                            or counts[0] > counts[1] or counts[2] > counts[3]:
                        continue
                    k1, n1, k0, n0 = counts
                    # The level's change without this unit (its own fall must not move its expectation).
                    s = [a - c for a, c in zip(sums[code], counts)]
                    if s[1] <= 0 or s[3] <= 0 or n1 < min_dossiers:
                        continue
                    shift = _logit(s[0] / s[1]) - _logit(s[2] / s[3])
                    prior = (k0 + 0.5) / (n0 + 1)
                    expected = 1 / (1 + math.exp(-(_logit(prior) + shift)))
                    observed = k1 / n1
                    now_i = u["indicators"][code]
                    # 3.3 carries the sync rate 1.4 as a factor: points at the same factor.
                    was_rate = b["indicators"][code]["rate"]
                    factor = (now_i["rate"] / (100 * observed) if observed > 0
                              else was_rate / (100 * k0 / n0) if k0 > 0 and was_rate is not None else 1.0)
                    lost = max(0.0, _points(nodes[code], 100 * expected * factor) - _points(nodes[code], now_i["rate"]))
                    pi = share_lower_p(k1, n1, round(expected * n0), n0) if expected - observed >= min_drop else 1.0
                    ps.append(pi)
                    evidence.append({"indicator": code, "rate": now_i["rate"], "before": b["indicators"][code]["rate"],
                                     "expected": round(100 * expected * factor, 2), "p": pi,
                                     "points_lost": round(lost, 3), "count": n1})
                if not ps:
                    continue
                falling = [e for e in evidence if e["p"] < 1.0]
                group_loss = sum(e["points_lost"] for e in falling)
                pval = min(1.0, min(ps) * len(ps)) if group_loss >= float(p["min_points_drop"]) else 1.0
                # The total needs every supplied value; without them, the groups the records give in both months.
                complete = u["total"] is not None and b["total"] is not None
                both = [g for g in groups if u["groups"].get(g) is not None and b["groups"].get(g) is not None]
                tests.append({"level": level, "code": u["code"], "name": u["name"], "name_en": u.get("name_en") or "",
                              "total": u["total"] if complete else sum(u["groups"][g] for g in both),
                              "before": b["total"] if complete else sum(b["groups"][g] for g in both),
                              "complete": complete,
                              "rank": u.get("rank"), "rank_before": b.get("rank"), "group": group,
                              "group_loss": group_loss, "p": pval, "evidence": falling,
                              "dossiers": u["buckets"].get("total", 0)})
    return tests


def _counts(u: dict, b: dict, code: str) -> tuple[int, int, int, int] | None:
    """(numerator now, denominator now, numerator before, denominator before) of a record-based rate."""
    now_i, was_i = u["indicators"].get(code), b["indicators"].get(code)
    if not now_i or not was_i or now_i.get("source") != "records" or was_i.get("source") != "records":
        return None
    if now_i.get("empty") or was_i.get("empty") or not now_i.get("denominator") or not was_i.get("denominator") \
            or now_i.get("numerator") is None or was_i.get("numerator") is None or now_i.get("rate") is None:
        return None
    return int(now_i["numerator"]), int(now_i["denominator"]), int(was_i["numerator"]), int(was_i["denominator"])


def _level_sums(pairs) -> dict[str, list[int]]:
    """{indicator: [numerator now, denominator now, numerator before, denominator before]} over the level."""
    sums: dict[str, list[int]] = {}
    for u, b in pairs:
        for code in u["indicators"]:
            counts = _counts(u, b, code)
            if counts is not None:
                acc = sums.setdefault(code, [0, 0, 0, 0])
                for i, x in enumerate(counts):
                    acc[i] += x
    return sums


def _keep_one_per_unit(tests: list[dict], keep: list[bool]) -> list[bool]:
    """Of a unit's groups kept, the one that lost most points (one finding per unit)."""
    best: dict[tuple[str, str], int] = {}
    for i, (t, k) in enumerate(zip(tests, keep)):
        key = (t["level"], t["code"])
        if k and (key not in best or (t["group_loss"], t["group"]) > (tests[best[key]]["group_loss"],
                                                                       tests[best[key]]["group"])):
            best[key] = i
    chosen = set(best.values())
    return [i in chosen for i in range(len(tests))]


def dossier_findings(ctx: Context, tests: list[dict], keep: list[bool]) -> list[Finding]:
    from tinhso.dossiers.models import Agency

    alpha = float(ctx.params["alpha"])
    keep = _keep_one_per_unit(tests, keep)
    chosen = [t for t, k in zip(tests, keep) if k]
    agencies = {a.code: a for a in Agency.objects.filter(code__in=[t["code"] for t in chosen]).select_related("unit")}
    out = []
    for t in chosen:
        a = agencies.get(t["code"])
        vi, en = GROUP_NAMES.get(t["group"], (t["group"], t["group"]))
        subject = {"area": "dossiers", "agency_code": t["code"], "group": t["group"], "group_vi": vi, "group_en": en,
                   "level": t["level"]}
        if a is not None and t["level"] == "commune":
            subject["commune_code"] = a.unit.code
        main = max(t["evidence"], key=lambda e: (e["points_lost"], e["indicator"])) if t["evidence"] else None
        out.append(Finding(
            kind=KIND, unit_code=t["code"], unit_name=t["name"], unit_name_en=t.get("name_en") or (a.name_en if a else ""),
            unit_kind="agency",
            severity=round(min(10.0, 2 + t["group_loss"]), 3), confidence=confidence(t["p"]),
            rule=(f"766 rates vs the previous month's moved by the level's change (logit), beta-binomial, "
                  f"Bonferroni within the group, p ≤ BH(α = {alpha:g}); rates ≥ {ctx.params['min_drop']:g} below "
                  f"expectation, ≥ {ctx.params['min_points_drop']:g} points lost in the group"),
            figures={"month": f"{ctx.month:%Y-%m}", "total": t["total"], "before": t["before"],
                     "change": clean(t["total"] - t["before"], 2),
                     "group_loss": clean(t["group_loss"], 2),
                     "rank": t["rank"], "rank_before": t["rank_before"], "dossiers": t["dossiers"],
                     "complete_total": t["complete"],
                     "indicator": main["indicator"] if main else None,
                     "indicator_rate": main["rate"] if main else None,
                     "indicator_before": main["before"] if main else None,
                     "indicator_expected": main["expected"] if main else None,
                     "p_value": clean(t["p"], 6), "alpha": alpha, "min_drop": float(ctx.params["min_drop"]),
                     "min_points_drop": float(ctx.params["min_points_drop"])},
            subject=subject,
            # The month's and the previous month's figures (the sentence compares both), each on its page.
            links=[Link("Chỉ số 766 của cơ quan", "The agency's 766 indicators",
                        f"/dich-vu-cong/co-quan/{quote(t['code'])}?period={ctx.month:%Y-%m}"),
                   Link("Chỉ số 766 của cơ quan tháng trước", "The agency's 766 indicators, previous month",
                        f"/dich-vu-cong/co-quan/{quote(t['code'])}?period={month_label(ctx.month, 1)}")],
            area="dossiers"))
    return out


def detect(ctx: Context) -> list[Finding]:
    alpha = float(ctx.params["alpha"])
    r_tests = report_tests(ctx)
    d_tests = dossier_tests(ctx)
    keep = benjamini_hochberg([t["p"] for t in r_tests] + [t["p"] for t in d_tests], alpha)
    return (report_findings(ctx, r_tests, keep[:len(r_tests)])
            + dossier_findings(ctx, d_tests, keep[len(r_tests):]))


def prefetch(ctx: Context) -> None:
    """Start the dossier query of :func:`dossier_tests` in the background (run_all calls this before the
    report detectors, so DuckDB reads the store on the other core meanwhile)."""
    from tinhso.dossiers import store
    from tinhso.dossiers.indicators import prefetch_many
    from tinhso.dossiers.models import DossierImport

    if DossierImport.objects.exists() and store.files():
        prefetch_many([month_label(ctx.month, 1), month_label(ctx.month)],
                      today=month_bounds(ctx.month)[1].date() - dt.timedelta(days=1))


def tests_count(ctx: Context) -> int:
    """How many hypotheses a run tests (for the false-alarm check)."""
    return len(report_tests(ctx)) + len(dossier_tests(ctx))


__all__ = ["KIND", "detect"]
