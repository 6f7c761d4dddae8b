"""``tinhso ioc …``: keep the wall's pre-aggregates fresh (cron) or rebuild them (after bulk loads)."""

from __future__ import annotations

import argparse
import json


def cmd_refresh(args: argparse.Namespace) -> int:
    from tinhso.ioc import aggregates, services

    days = aggregates.refresh()
    dossiers = services.compute()
    print(json.dumps({"days_recomputed": days, "dossiers": dossiers.get("available", False)}))
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from tinhso.ioc import aggregates

    print(json.dumps({"rows": aggregates.rebuild()}))
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    from tinhso.ioc import summary

    print(json.dumps(summary.summary(period=args.period, unit=args.unit), ensure_ascii=False, indent=2))
    return 0


def register(sub) -> None:
    p = sub.add_parser("ioc", help="the IOC wall's pre-aggregated figures")
    s = p.add_subparsers(dest="ioc_command", required=True)
    s.add_parser("refresh", help="add the journalled report changes to the pre-aggregates (cron: every minute)") \
        .set_defaults(func=cmd_refresh)
    s.add_parser("rebuild", help="recompute every day from all reports").set_defaults(func=cmd_rebuild)
    q = s.add_parser("summary", help="the wall's figures as JSON (as /api/v1/ioc/summary)")
    q.add_argument("--period", default="today", choices=["today", "week", "month"])
    q.add_argument("--unit", default=None, help="handling unit code")
    q.set_defaults(func=cmd_summary)
