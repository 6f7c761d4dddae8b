"""``tinhso index whatif``: the smallest improvement that reaches a target rank or score, the rank gained per
step of each main index, and the unit's strengths and weaknesses (service: :mod:`tinhso.indices.whatif`)."""

from __future__ import annotations

import argparse
import json

from tinhso.indices import cli, ranking

KIND_LABELS = {"strength": "mạnh / strength", "weakness": "yếu / weakness", "neutral": ""}


def _fmt(x: float | None, decimals: int) -> str:
    # Half up, as the index is published (0.64425 → 0.6443), not Python's round-half-even.
    return "—" if x is None else f"{float(ranking.round_half_up(x, decimals)):.{decimals}f}"


def _points(x: float | None) -> str:
    return "—" if x is None else f"{x:g}"


def format_text(doc: dict) -> str:
    """A readable Vietnamese/English summary of the what-if document."""
    d = doc["decimals"]
    label = f"{doc['unit']} ({doc['name']})" if doc.get("name") else doc["unit"]
    cur = doc["current"]
    shown_points = cur.get("points") is not None and doc.get("score_unit") == "share"
    points = f", {cur['points']:g} điểm / points" if shown_points else ""
    lines = [f"{doc['method']} — {doc['period']} — {label}",
             f"Hiện tại / Current: {_fmt(cur['score'], d)}{points}, hạng / rank {cur['rank']}/{doc['units']}"]
    target = doc["target"]
    if target is not None:
        aim = (f"hạng / rank {target['rank']}" if "rank" in target else f"điểm / score {_fmt(target['score'], d)}")
        needed = target.get("score_needed")
        lines.append(f"Mục tiêu / Target: {aim}"
                     + (f" (cần / needs {_fmt(needed, d)})" if needed is not None else ""))
        imp = doc["improvement"]
        if doc["already_met"]:
            lines.append("Đã đạt mục tiêu / Target already met.")
        elif not doc["feasible"]:
            best = doc["best_reachable"]
            lines.append(f"Không thể đạt, kể cả khi mọi chỉ số chính đạt tối đa / Not reachable even with full marks "
                         f"on every main index: best {_fmt(best['score'], d)}, hạng / rank {best['rank']}.")
        else:
            approx = "" if doc["exact"] else " (gần đúng / approximate)"
            lines.append(f"Cần thêm ít nhất / Needs at least {_points(imp['points'])} điểm / points{approx} "
                         f"→ {_fmt(imp['result']['score'], d)}, hạng / rank {imp['result']['rank']}")
            for a in imp["allocation"]:
                lines.append(f"  {a['node']:<20} {a['name'][:34]:<34} {_points(a['from']):>8} → {_points(a['to']):<8} "
                             f"+{_points(a['points'])} điểm / points")
    lines.append("")
    lines.append(f"Mỗi {doc['step']:g} {doc['step_unit']} thêm vào một chỉ số chính / Per {doc['step']:g} "
                 f"{doc['step_unit']} added to one main index:")
    lines.append(f"  {'node':<20} {'+điểm/pts':>9} {'+score':>9} {'hạng/rank':>9} {'+hạng/ranks':>11}")
    for s in doc["per_step"]:
        cap = " (tối đa / at max)" if s["capped"] else ""
        lines.append(f"  {s['node']:<20} {_points(s['step']):>9} {_fmt(s['score_gain'], d):>9} {s['rank_after']:>9} "
                     f"{s['ranks_gained']:>+11d}{cap}")
    lines.append("")
    lines.append("Điểm mạnh, điểm yếu / Strengths and weaknesses:")
    lines.append(f"  {'node':<20} {'giá trị/value':>13} {'hạng/rank':>10} {'tốt nhất/best':>13} {'khoảng cách/gap':>15}")
    for r in doc["strengths_weaknesses"]:
        lines.append(f"  {r['node']:<20} {_fmt(r['value'], d):>13} {str(r['rank']) + '/' + str(r['of']):>10} "
                     f"{_fmt(r['best'], d):>13} {_fmt(r['gap_to_best'], d):>15} {KIND_LABELS[r['kind']]}")
    return "\n".join(lines)


@cli.guarded
def _whatif(args: argparse.Namespace) -> int:
    from tinhso.indices import whatif

    comp = cli.load(args)
    doc = whatif.analyse(comp, args.unit, target_rank=args.target_rank, target_score=args.target_score,
                         period=args.period, step=args.step)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        print(format_text(doc))
    return 0


def add_command(sub) -> None:
    p = sub.add_parser("whatif", help="smallest improvement to reach a target rank or score; rank per step; "
                                      "strengths and weaknesses")
    cli.add_input_arguments(p)
    p.add_argument("--unit", required=True, help="unit code (or its name) as in the input")
    target = p.add_mutually_exclusive_group()
    target.add_argument("--target-rank", type=int, metavar="N", help="rank to reach (1 = best)")
    target.add_argument("--target-score", type=float, metavar="S", help="score to reach, on the index's own scale")
    p.add_argument("--step", type=float,
                   help="points added to one main index for the per-step table (default: the method's whatif_step)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_whatif)
