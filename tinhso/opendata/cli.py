"""``tinhso opendata refresh [--only indicators,reports,geo,dossiers]``: republish the generated datasets."""

from __future__ import annotations

import argparse
import json


def _refresh(args: argparse.Namespace) -> int:
    from tinhso.opendata import generated

    only = [s.strip() for s in args.only.split(",") if s.strip()] if args.only else None
    unknown = sorted(set(only or []) - set(generated.GENERATORS))
    if unknown:
        print(f"Lỗi / Error: --only: {', '.join(unknown)} (known: {', '.join(generated.GENERATORS)})")
        return 2
    done = generated.refresh(only, out=print if not args.json else (lambda *a, **k: None))
    if args.json:
        print(json.dumps(done, ensure_ascii=False))
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("opendata", help="open data portal / cổng dữ liệu mở")
    sub = parser.add_subparsers(dest="opendata_command", required=True)
    refresh = sub.add_parser("refresh", help="republish the generated datasets")
    refresh.add_argument("--only", help="comma-separated generators: indicators, reports, geo, dossiers")
    refresh.add_argument("--json", action="store_true")
    refresh.set_defaults(func=_refresh)
