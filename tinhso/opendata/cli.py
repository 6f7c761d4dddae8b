"""``tinhso opendata refresh [--only indicators,reports,geo,dossiers | --due]``: republish the generated
datasets (all, some, or those due by their frequency, as the background worker does)."""

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
    def quiet(*_args, **_kwargs) -> None:
        return None

    if args.due:
        from tinhso.opendata import schedule

        if only:
            print("Lỗi / Error: --due and --only do not go together")
            return 2
        done = schedule.refresh_due(out=print if not args.json else quiet)
        if not done and not args.json:
            print("Open data: nothing due / không có bộ dữ liệu nào đến hạn làm mới.")
    else:
        done = generated.refresh(only, out=print if not args.json else quiet)
    if args.json:
        print(json.dumps(done, ensure_ascii=False))
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("opendata", help="open data portal / cổng dữ liệu mở")
    sub = parser.add_subparsers(dest="opendata_command", required=True)
    refresh = sub.add_parser("refresh", help="republish the generated datasets")
    refresh.add_argument("--only", help="comma-separated generators: indicators, reports, geo, dossiers")
    refresh.add_argument("--due", action="store_true",
                         help="only what is due by each dataset's frequency (what the background worker runs)")
    refresh.add_argument("--json", action="store_true")
    refresh.set_defaults(func=_refresh)
