"""``tinhso index …``: methods, compute (JSON, table or workbook), what-if and sensitivity.

The what-if and sensitivity commands live in their own modules (``cli_whatif``, ``cli_sensitivity``)
and plug in through ``add_command(sub)``; they reuse :func:`add_input_arguments` and :func:`load` so
that every command reads a method and an input file the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tinhso.core import limits
from tinhso.core.errors import UserError
from tinhso.core.modules import optional_import


def add_input_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--method", required=True, help="method code (dti-922, dti-1726, pci-2013, svc-766) or a YAML file")
    p.add_argument("--input", required=True, help="tidy CSV or XLSX: unit, period, indicator, value")
    p.add_argument("--period", help="period to report (default: the latest in the input)")
    p.add_argument("--merge", metavar="CSV",
                   help="merge units first: a CSV of new_unit,old_unit rows (mean of main-index values)")
    p.add_argument("--merge-provinces-2025", action="store_true",
                   help="merge former provinces into the 34 provinces of 1 July 2025 (units given as codes)")


def load(args: argparse.Namespace):
    """The computation for a command's ``--method``/``--input`` (and optional merge)."""
    from tinhso.indices import dataset, merge, methodology, results

    method = methodology.load_method(args.method)
    path = Path(args.input)
    if not path.is_file():
        raise UserError("file_not_found", f"Không có tệp {path}", f"No such file {path}", field="input")
    limits.check_file_size(path.stat().st_size, field="input")  # before the file is read into memory
    data = dataset.read_file(method, path.read_bytes(), path.name)
    if getattr(args, "merge", None):
        merge_path = Path(args.merge)
        if not merge_path.is_file():
            raise UserError("file_not_found", f"Không có tệp {merge_path}", f"No such file {merge_path}", field="merge")
        limits.check_file_size(merge_path.stat().st_size, field="merge")
        data = merge.merge_dataset(data, merge.read_groups(merge_path.read_bytes(), merge_path.name))
    elif getattr(args, "merge_provinces_2025", False):
        data = merge.merge_provinces_2025(data)
    return results.compute(data)


def print_input_errors(err: UserError) -> None:
    if err.code == "index_input_invalid" and isinstance(err.details, list):
        print(f"Lỗi / Error: {len(err.details)} lỗi trong dữ liệu, chưa tính / error(s) in the input, nothing "
              "computed:", file=sys.stderr)
    else:
        print(f"Lỗi / Error: {err.message_vi} / {err.message_en}", file=sys.stderr)
    if isinstance(err.details, list):
        for e in err.details:
            if "row" in e:
                print(f"  row {e['row']}, {e['column']}: {e['reason']}", file=sys.stderr)


def guarded(func):
    """Input errors listed row by row on stderr (exit 2) instead of only the first three."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except UserError as err:
            if err.code in ("index_input_invalid", "index_inputs_missing", "merge_invalid"):
                print_input_errors(err)
                return 2
            raise

    return run


def _methods(args: argparse.Namespace) -> int:
    from tinhso.indices import methodology

    items = [methodology.load_method(code) for code in methodology.available_methods()]
    if args.json:
        print(json.dumps([{"code": m.code, "title": m.title_vi, "title_en": m.title_en, "used_for": m.used_for,
                           "score": m.score} for m in items], ensure_ascii=False, indent=1))
        return 0
    for m in items:
        print(f"{m.code:<10} {m.title_vi}\n{'':<10} {m.used_for}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from tinhso.indices import methodology

    method = methodology.load_method(args.method)
    if args.json:
        print(json.dumps(method.as_dict(), ensure_ascii=False, indent=1))
        return 0
    print(f"{method.code}: {method.title_vi}\n{method.legal_basis}\n")

    def walk(code: str, depth: int) -> None:
        node = method.nodes[code]
        size = f"{node.max:g} điểm" if node.max is not None else (f"w={node.weight:g}" if node.weight is not None else "")
        print(f"{'  ' * depth}{node.code:<18} {node.name_vi:<48} {size:<12} [{node.status}]")
        for child in node.children:
            walk(child, depth + 1)

    walk(method.score, 0)
    views = [n for n in method.nodes.values() if n.role == "view"]
    if views:
        print("\nBáo cáo thêm / also reported:")
        for node in views:
            print(f"  {node.code:<18} {node.name_vi:<48} = {' + '.join(node.children)} [{node.status}]")
    return 0


def _format_table(doc: dict, method) -> str:
    mains = [n.code for n in method.main_nodes()]
    header = f"{'#':>3} {'unit':<28} {doc['method']:>10} " + " ".join(f"{c[:9]:>9}" for c in mains)
    lines = [f"{method.title_vi} — {doc['period']}", header]
    d = method.decimals
    for u in doc["units"]:
        label = (u.get("name") or u["unit"])[:28]
        cells = " ".join(f"{u['nodes'][c]['value']:>9.{d}f}" if u["nodes"][c]["value"] is not None else f"{'—':>9}"
                         for c in mains)
        change = u.get("change") or {}
        moved = f"  ({change['rank']:+d})" if change.get("rank") else ""
        lines.append(f"{u['rank']:>3} {label:<28} {u['score']:>10.{d}f} {cells}{moved}")
    return "\n".join(lines)


@guarded
def _compute(args: argparse.Namespace) -> int:
    from tinhso.indices import results

    comp = load(args)
    doc = results.report(comp, args.period, all_periods=args.all_periods)
    if args.xlsx:
        workbook = optional_import("tinhso.indices.workbook")
        if workbook is None:
            raise UserError("not_available", "Chưa có xuất Excel", "Excel export is not available", field="xlsx")
        Path(args.xlsx).write_bytes(workbook.results_workbook(comp, args.period))
        print(f"Workbook written / Đã ghi tệp Excel: {args.xlsx}", file=sys.stderr)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=1))
    elif not args.xlsx:
        docs = doc["periods"] if args.all_periods else [doc]
        print("\n\n".join(_format_table(d, comp.method) for d in docs))
    return 0


def register(subparsers) -> None:
    group = subparsers.add_parser("index", help="composite indices (DTI, PCI, 766): compute, what-if, sensitivity")
    sub = group.add_subparsers(dest="index_command", required=True)

    p = sub.add_parser("methods", help="list the shipped methodologies")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_methods)

    p = sub.add_parser("show", help="a methodology's tree: points, weights, rules, sources")
    p.add_argument("method")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_show)

    p = sub.add_parser("compute", help="every node's value and rank for every unit")
    add_input_arguments(p)
    p.add_argument("--all-periods", action="store_true", help="report every period in the input")
    p.add_argument("--json", action="store_true")
    p.add_argument("--xlsx", metavar="OUT", help="write a results workbook")
    p.set_defaults(func=_compute)

    for name in ("tinhso.indices.cli_whatif", "tinhso.indices.cli_sensitivity"):
        module = optional_import(name)
        if module is not None:
            module.add_command(sub)
