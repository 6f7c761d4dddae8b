"""``tinhso units …``: search the administrative-units registry, show one unit, load, summarise.

Thin doors onto :mod:`tinhso.geo.registry`; ``--json`` prints the same shapes as the API.
UserErrors propagate to :func:`tinhso.cli.main`, which prints them and exits 2.
"""

from __future__ import annotations

import argparse
import json

from tinhso.geo import registry


def _print_json(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows)]

    def line(cells) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()

    return "\n".join([line(headers), line("-" * w for w in widths), *(line(r) for r in rows)])


STRUCTURE_LABELS = {"current": "hiện hành/current", "legacy": "cũ/legacy"}


def cmd_search(args: argparse.Namespace) -> int:
    units = registry.search(args.query, level=args.level, province=args.province, at=args.at,
                            structure=args.structure, limit=args.limit)
    found = [registry.unit_as_dict(u) for u in units]
    if args.json:
        _print_json(found)
        return 0
    if not found:
        print(f"Không tìm thấy / Nothing found: {args.query!r}")
        return 0
    rows = [[STRUCTURE_LABELS[u["structure"]], u["code"], u["name"], u["unit_type"],
             (u["parent"] or {}).get("name", ""), (u["province"] or {}).get("name", "")] for u in found]
    print(_table(rows, ["structure", "code", "name", "type", "parent", "province"]))
    return 0


def _edge_line(edge: dict) -> str:
    how = "toàn bộ/whole" if edge["whole"] else ("một phần/partial, mặc định/default" if edge["is_default"]
                                                  else "một phần/partial")
    return f"  {edge['code']:>5}  {edge['name']}  ({edge['structure']}, {how})"


def cmd_show(args: argparse.Namespace) -> int:
    structure = "legacy" if args.legacy else args.structure
    detail = registry.unit_detail(registry.get_unit(args.code, structure=structure))
    if args.json:
        _print_json(detail)
        return 0
    print(f"{detail['name']} — {detail['name_en']}")
    print(f"  code {detail['code']}, {detail['unit_type']} ({detail['level']}), "
          f"{STRUCTURE_LABELS[detail['structure']]}")
    if detail["parent"]:
        print(f"  thuộc / in: {detail['parent']['name']} ({detail['parent']['code']})")
    if detail["province"] and detail["province"] != detail["parent"] and detail["level"] != "province":
        print(f"  tỉnh / province: {detail['province']['name']} ({detail['province']['code']})")
    if detail["lat"] is not None:
        print(f"  tâm / centroid: {detail['lat']}, {detail['lon']}")
    valid = f"{detail['valid_from'] or '…'} – {detail['valid_to'] or '…'}"
    print(f"  hiệu lực / valid: {valid}")
    for key, label in (("predecessors", "Trước đây là / Predecessors"), ("successors", "Nay thuộc / Successors")):
        if detail[key]:
            print(f"{label} ({len(detail[key])}):")
            for edge in detail[key]:
                print(_edge_line(edge))
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    info = registry.summary()
    if args.json:
        _print_json(info)
        return 0
    if info is None:
        print("Chưa nạp danh mục / Registry not loaded: run `tinhso units load` or `tinhso init`.")
        return 0
    print(f"{info['source']} {info['version']} ({info['licence']}), loaded {info['loaded_at']:%Y-%m-%d %H:%M} UTC")
    print(f"  current: {info['current_provinces']} provinces, {info['current_communes']} communes")
    print(f"  legacy:  {info['legacy_provinces']} provinces, {info['legacy_districts']} districts, "
          f"{info['legacy_communes']} communes")
    print(f"  crosswalk edges: {info['successions']}")
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    registry.ensure_loaded(out=print, force=args.force)
    return 0


def register(subparsers) -> None:
    units = subparsers.add_parser("units", help="administrative units registry (current and legacy)")
    sub = units.add_subparsers(dest="units_command", required=True)

    p = sub.add_parser("search", help="search units by name (diacritics optional) or code")
    p.add_argument("query")
    p.add_argument("--level", help="province, district or commune")
    p.add_argument("--province", help="province code or name")
    p.add_argument("--at", help="date YYYY-MM-DD: only units that existed that day")
    p.add_argument("--structure", help="current or legacy")
    p.add_argument("--limit", default=50, help=f"at most this many results (1–{registry.MAX_LIMIT})")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("show", help="one unit with its predecessors and successors")
    p.add_argument("code")
    p.add_argument("--legacy", action="store_true", help="the legacy unit with this code (before 1 July 2025)")
    p.add_argument("--structure", default="current", help="current (default) or legacy")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("summary", help="what is loaded, from which source and version")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("load", help="load the registry from the installed package (idempotent)")
    p.add_argument("--force", action="store_true", help="re-sync even if this version is already loaded")
    p.set_defaults(func=cmd_load)
