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


def cmd_generate(args: argparse.Namespace) -> int:
    import datetime as dt

    from django.utils import timezone

    from tinhso.core.errors import UserError
    from tinhso.reports import synthetic

    if not 1 <= args.count <= 2_000_000 or not 0 <= args.effects <= 50:
        raise UserError("bad_count", "Số phản ánh phải từ 1 đến 2.000.000 và số hiệu ứng từ 0 đến 50",
                        "Count must be 1 to 2,000,000 and effects 0 to 50", field="count")
    now = timezone.now()
    if args.now:
        try:
            now = dt.datetime.fromisoformat(args.now)
        except ValueError:
            raise UserError("bad_now", "--now phải là ngày giờ ISO", "--now must be an ISO date-time", field="now") from None
        if timezone.is_naive(now):
            now = timezone.make_aware(now)
    month = None
    if args.effects_month:
        try:
            month = dt.date.fromisoformat(args.effects_month + "-01")
        except ValueError:
            raise UserError("bad_month", "--effects-month phải có dạng YYYY-MM", "--effects-month must be YYYY-MM",
                            field="effects_month") from None
    injected: list = []
    made = synthetic.generate(args.count, seed=args.seed, now=now, effects=args.effects, effects_month=month,
                              injected=injected)
    print(f"{made} synthetic reports generated (seed {args.seed}).")
    for effect in injected:
        print("injected " + effect.line())
    if args.effects_out:
        with open(args.effects_out, "w", encoding="utf-8") as handle:
            json.dump([e.as_dict() for e in injected], handle, ensure_ascii=False, indent=1)
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("reports", help="citizen field reports")
    sub = parser.add_subparsers(dest="reports_command", required=True)
    p = sub.add_parser("create-api-key", help="create an Open311 client key (printed once)")
    p.add_argument("name")
    p.set_defaults(func=cmd_create_api_key)
    p = sub.add_parser("check-deadlines", help="notify supervisors of overdue reports; auto-close stale resolved ones")
    p.set_defaults(func=cmd_check_deadlines)
    p = sub.add_parser("generate", help="add seeded synthetic reports (labelled synthetic), optionally with "
                                        "injected effects that the monthly analysis should find")
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--seed", type=int, default=20250701)
    p.add_argument("--effects", type=int, default=0, help="number of effects to inject (printed)")
    p.add_argument("--effects-month", help="YYYY-MM (default: the last complete month)")
    p.add_argument("--effects-out", metavar="FILE", help="write the injected effects as JSON")
    p.add_argument("--now", help="ISO date-time the data ends at (default: now)")
    p.set_defaults(func=cmd_generate)
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
