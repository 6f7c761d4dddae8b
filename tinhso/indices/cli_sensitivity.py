"""``tinhso index sensitivity``: how stable each unit's rank is when the weights, the normalisation and
the aggregation of the main indices vary (see :mod:`tinhso.indices.sensitivity`)."""

from __future__ import annotations

import argparse
import json

from tinhso.indices import cli


def _comma_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def format_report(doc: dict) -> str:
    s = doc["settings"]
    lines = [f"{doc['method']} — {doc['period']}: {doc['runs']} lần chạy Monte Carlo / Monte Carlo runs "
             f"(weights {s['weights']}"
             + (f" ±{s['spread']:g}" if "spread" in s else f", concentration {s.get('concentration', 0):g}")
             + f"; {', '.join(s['normalisations'])}; {', '.join(s['aggregations'])}; seed {s['seed']})",
             f"{'#':>3} {'unit':<28} {'median':>7} {'5–95 %':>11} {'mean':>7} {'at #':>6}"]
    for u in doc["units"]:
        label = (u.get("name") or u["unit"])[:28]
        interval = f"{u['p05_rank']:g}–{u['p95_rank']:g}"
        lines.append(f"{u['nominal_rank']:>3} {label:<28} {u['median_rank']:>7g} {interval:>11} "
                     f"{u['mean_rank']:>7.2f} {u['share_at_nominal_rank']:>6.0%}")
    for key, title in (("sobol", "Chỉ số Sobol' / Sobol' indices — độ lệch hạng trung bình / mean absolute rank shift"),
                       ("unit_sobol", "Chỉ số Sobol' cho hạng của / Sobol' indices of the rank of")):
        block = doc.get(key)
        if not block:
            continue
        head = f"{title} {block['unit']}" if key == "unit_sobol" else title
        lines += ["", f"{head} (N = {block['samples']})",
                  f"{'input':<28} {'S1':>7} {'±':>6} {'ST':>7} {'±':>6}"]
        for item in block["inputs"]:
            lines.append(f"{item['name']:<28} {item['S1']:>7.3f} {item['S1_conf']:>6.3f} "
                         f"{item['ST']:>7.3f} {item['ST_conf']:>6.3f}")
        if block.get("variance") == 0:
            lines.append("(kết quả không đổi trong mọi lần chạy / the output never changed)")
    return "\n".join(lines)


@cli.guarded
def _sensitivity(args: argparse.Namespace) -> int:
    from tinhso.indices import sensitivity

    comp = cli.load(args)
    doc = sensitivity.analyse(comp, period=args.period, runs=args.runs, weights=args.weights, spread=args.spread,
                              concentration=args.concentration, normalisations=args.normalisations,
                              aggregations=args.aggregations, sobol=not args.no_sobol, seed=args.seed,
                              unit=args.unit, sobol_resamples=args.sobol_resamples)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        print(format_report(doc))
    return 0


def add_command(sub) -> None:
    from tinhso.indices import sensitivity

    p = sub.add_parser("sensitivity", help="uncertainty and sensitivity of the ranking: Monte Carlo over weights, "
                                           "normalisation and aggregation; rank intervals and Sobol' indices")
    cli.add_input_arguments(p)
    p.add_argument("--runs", type=int, default=10000,
                   help=f"Monte Carlo replications, {sensitivity.RUNS_RANGE[0]}–{sensitivity.RUNS_RANGE[1]} "
                        "(default 10000; the Sobol' design uses about as many)")
    p.add_argument("--weights", default="perturb", help="perturb (default) or dirichlet")
    p.add_argument("--spread", type=float, default=0.25,
                   help="perturb: each weight × U(1 − spread, 1 + spread), 0 < spread < 1 (default 0.25)")
    p.add_argument("--concentration", type=float, default=50.0,
                   help="dirichlet: α = concentration × nominal weights (default 50)")
    p.add_argument("--normalisations", type=_comma_list, default=sensitivity.NORMALISATIONS,
                   help="comma list among published,minmax,zscore (default all three)")
    p.add_argument("--aggregations", type=_comma_list, default=sensitivity.AGGREGATIONS,
                   help="comma list among arithmetic,geometric (default both)")
    p.add_argument("--no-sobol", action="store_true", help="skip the Sobol' indices")
    p.add_argument("--sobol-resamples", type=int, default=sensitivity.SOBOL_RESAMPLES,
                   help="bootstrap resamples for the Sobol' confidence intervals, "
                        f"{sensitivity.RESAMPLES_RANGE[0]}–{sensitivity.RESAMPLES_RANGE[1]} "
                        f"(default {sensitivity.SOBOL_RESAMPLES}; fewer is faster, the intervals noisier)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--unit", help="also the Sobol' indices of this unit's rank (code or name)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_sensitivity)
