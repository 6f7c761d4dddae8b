"""``tinhso geo …``: import commune boundaries, list versions, locate points (one, or a CSV file)."""

from __future__ import annotations

import argparse
import json
import sys

from tinhso.core.errors import UserError


def cmd_import_boundaries(args: argparse.Namespace) -> int:
    from tinhso.geo import boundaries

    try:
        boundaries.import_boundaries(args.file, quality=args.quality, note=args.note or "",
                                     code_map=boundaries.parse_code_map(args.code_map),
                                     use_known_aliases=not args.no_known_aliases, out=print)
    except UserError as err:
        print(f"Lỗi / Error: {err}", file=sys.stderr)
        for problem in err.details if isinstance(err.details, list) else []:  # per-feature problems
            code = f" code {problem['code']}" if problem.get("code") is not None else ""
            print(f"  feature {problem['feature']}{code}: {problem['problem']} — {problem['detail']}",
                  file=sys.stderr)
        return 2
    return 0


def cmd_build_approximate(args: argparse.Namespace) -> int:
    from tinhso.geo import boundaries

    boundaries.build_approximate(out=print)
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    from tinhso.geo import boundaries

    versions = boundaries.list_versions()
    if args.json:
        print(json.dumps(versions, ensure_ascii=False, indent=2))
        return 0
    if not versions:
        print("No boundary versions / Chưa có ranh giới.")
    for v in versions:
        mark = "*" if v["is_active"] else " "
        print(f"{mark} v{v['version']} {v['quality']:<11} {v['feature_count']:>5} communes  {v['created_at']}  "
              f"{v['source']}")
    return 0


def _describe(result: dict) -> str:
    boundary = f"ranh giới / boundaries v{result['boundary']['version']} ({result['boundary']['quality']})"
    if result["status"] == "outside":
        return f"{result['lat']}, {result['lon']}: ngoài Việt Nam / outside Vietnam — {boundary}"
    commune, province = result["commune"], result["province"]
    lines = [f"{commune['name']} ({commune['code']}), {province['name']} ({province['code']})"]
    legacy = result.get("legacy")
    if legacy:
        parts = [legacy[k] for k in ("commune", "district", "province") if legacy.get(k)]
        lines.append("Trước 1/7/2025 / before 1 July 2025: " + ", ".join(f"{p['name']} ({p['code']})" for p in parts))
    if result["flags"]:
        lines.append(f"flags: {', '.join(result['flags'])} (distance {result['distance_m']} m)")
    lines.append(boundary)
    return "\n".join(lines)


def cmd_locate(args: argparse.Namespace) -> int:
    from tinhso.geo import locator

    if args.csv:
        if args.lat is not None or args.lon is not None:
            raise UserError("locate_usage", "Dùng LAT LON hoặc --csv, không dùng cả hai",
                            "Give either LAT LON or --csv, not both", field="csv")
        if not args.out:
            raise UserError("locate_usage", "--csv cần --out TỆP_KẾT_QUẢ.csv", "--csv needs --out OUT.csv",
                            field="out")
        counts = locator.locate_csv(args.csv, args.out)
        if args.json:
            print(json.dumps(counts, ensure_ascii=False))
        else:
            print(f"{counts['rows']} rows → {args.out}: {counts['ok']} ok, {counts['outside']} outside, "
                  f"{counts['error']} errors (boundaries v{counts['boundary']['version']}, "
                  f"{counts['boundary']['quality']})")
        return 0
    if args.lat is None or args.lon is None:
        raise UserError("locate_usage", "Cần LAT LON hoặc --csv TỆP --out TỆP",
                        "Give LAT LON, or --csv IN.csv --out OUT.csv", field="lat")
    try:
        result = locator.locate(args.lat, args.lon)
    except UserError as err:
        if args.json:
            print(json.dumps({"error": err.as_dict()}, ensure_ascii=False))
            return 2
        raise
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else _describe(result))
    return 0


def register(subparsers) -> None:
    geo = subparsers.add_parser("geo", help="commune boundaries and the GPS locator")
    sub = geo.add_subparsers(dest="geo_command", required=True)

    p = sub.add_parser("import-boundaries", help="import commune polygons (GeoJSON[.gz] or GeoPackage) as a new "
                       "active version; validates everything first, imports nothing on error")
    p.add_argument("file")
    p.add_argument("--quality", choices=["official", "approximate"], default="official")
    p.add_argument("--note", help="free text stored with the version (e.g. where the file came from)")
    p.add_argument("--code-map", action="append", metavar="SRC=DST",
                   help="treat the file's commune code SRC as registry code DST (repeatable; reported)")
    p.add_argument("--no-known-aliases", action="store_true",
                   help="do not apply the built-in table of known source code discrepancies (e.g. 06978→06970)")
    p.set_defaults(func=cmd_import_boundaries)

    p = sub.add_parser("build-approximate", help="build approximate boundaries from registry centroids "
                       "(Voronoi) and make them the active version")
    p.set_defaults(func=cmd_build_approximate)

    p = sub.add_parser("versions", help="list boundary versions (* = active)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_versions)

    p = sub.add_parser("locate", help="commune (current and legacy) of a GPS point, or of every row of a CSV")
    p.add_argument("lat", nargs="?", help="latitude, decimal degrees (WGS84)")
    p.add_argument("lon", nargs="?", help="longitude, decimal degrees (WGS84)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--csv", metavar="IN.csv", help="locate every row (columns lat,lon; others kept)")
    p.add_argument("--out", metavar="OUT.csv")
    p.set_defaults(func=cmd_locate)
