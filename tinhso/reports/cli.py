"""``tinhso reports …``: API keys, the deadline check and the contact purge (run them from cron),
statistics, erasing one reporter's contact data."""

from __future__ import annotations

import argparse
import json
import sys


def cmd_create_api_key(args: argparse.Namespace) -> int:
    from tinhso.reports.apikeys import create_api_key

    client, key = create_api_key(args.name)
    print(f"API key for {client.name} (shown once, only its hash is stored) / Khóa API (chỉ hiện một lần):")
    print(key)
    return 0


def cmd_check_deadlines(args: argparse.Namespace) -> int:
    from tinhso.reports import sla

    result = sla.check_deadlines()
    print(json.dumps(result, ensure_ascii=False))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from tinhso.reports import stats

    rows = stats.unit_stats() if args.by == "unit" else stats.category_stats()
    if args.csv:
        if args.csv == "-":
            stats.write_csv(rows, sys.stdout)
        else:
            with open(args.csv, "w", newline="", encoding="utf-8") as handle:
                stats.write_csv(rows, handle)
            print(f"{len(rows)} rows → {args.csv}")
        return 0
    print(f"{'key':28} {'received':>8} {'resolved':>8} {'on-time':>8} {'overdue':>8} {'median h':>9} {'rating':>6}")
    for r in rows:
        rate = "" if r["on_time_rate"] is None else f"{r['on_time_rate']:.0%}"
        median = "" if r["median_handling_hours"] is None else f"{r['median_handling_hours']:.1f}"
        rating = "" if r["avg_rating"] is None else f"{r['avg_rating']:.2f}"
        print(f"{str(r['key'])[:28]:28} {r['received']:>8} {r['resolved']:>8} {rate:>8} {r['overdue_backlog']:>8} "
              f"{median:>9} {rating:>6}")
    return 0


def cmd_purge_contacts(args: argparse.Namespace) -> int:
    from tinhso.reports import retention

    print(json.dumps(retention.purge_contacts(days=args.days), ensure_ascii=False))
    return 0


def cmd_erase_contact(args: argparse.Namespace) -> int:
    from tinhso.reports import retention

    fields = retention.erase_contact_by_code(args.code, actor_label=f"cli:{args.by}" if args.by else "cli")
    code = args.code.strip().upper()
    if fields:
        print(f"{code}: đã xóa / erased {', '.join(fields)}")
    else:
        print(f"{code}: không còn thông tin liên hệ / no contact data held")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("reports", help="citizen field reports")
    sub = parser.add_subparsers(dest="reports_command", required=True)
    p = sub.add_parser("create-api-key", help="create an Open311 client key (printed once)")
    p.add_argument("name")
    p.set_defaults(func=cmd_create_api_key)
    p = sub.add_parser("check-deadlines", help="notify supervisors of overdue reports; auto-close stale resolved ones")
    p.set_defaults(func=cmd_check_deadlines)
    p = sub.add_parser("stats", help="statistics per unit or per category")
    p.add_argument("--by", choices=["unit", "category"], default="unit")
    p.add_argument("--csv", metavar="FILE", help="write CSV to FILE ('-' for stdout)")
    p.set_defaults(func=cmd_stats)
    p = sub.add_parser("purge-contacts", help="erase reporters' contact data of reports finished longer ago than "
                                              "the retention period (idempotent; run daily from cron)")
    p.add_argument("--days", type=int, default=None,
                   help="retention in days (default: TINHSO_CONTACT_RETENTION_DAYS, else 365)")
    p.set_defaults(func=cmd_purge_contacts)
    p = sub.add_parser("erase-contact", help="erase one report's contact data now (a data subject's request)")
    p.add_argument("code", help="tracking code PA-XXXXX-XXXXX")
    p.add_argument("--by", default="", help="who handled the request (recorded in the history)")
    p.set_defaults(func=cmd_erase_contact)
