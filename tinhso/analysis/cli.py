"""``tinhso analysis …``: the monthly report (files for one month and scope) and the monthly run."""

from __future__ import annotations

import argparse
import datetime as dt
import json


def cmd_monthly(args: argparse.Namespace) -> int:
    from tinhso.analysis import headline, report
    from tinhso.analysis.text import check_lang

    check_lang(args.lang)
    month = headline.month_start(args.month)
    item = report.generate(month, args.unit or None)
    paths = report.write_files(item.data, args.out, args.lang)
    print(json.dumps({"month": item.month_label, "unit": item.unit_code, "name": item.unit_name,
                      "name_en": item.unit_name_en,
                      "findings": item.findings_count, "synthetic": item.synthetic,
                      "files": [str(p) for p in paths]}, ensure_ascii=False, indent=2))
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    from tinhso.analysis import headline, schedule

    today = dt.date.fromisoformat(args.today) if args.today else None
    month = headline.month_start(args.month) if args.month else None
    result = schedule.run(today=today, month=month, force=args.force, units=not args.province_only,
                          send=not args.no_notify, out=print)
    print(json.dumps(result, ensure_ascii=False))
    return 0


def register(sub) -> None:
    p = sub.add_parser("analysis", help="the monthly analysis with recommendations (/phan-tich)")
    s = p.add_subparsers(dest="analysis_command", required=True)
    m = s.add_parser("monthly", help="generate (archive) one month's report and write its HTML, PDF and DOCX")
    m.add_argument("--month", required=True, help="the month analysed, e.g. 2025-10")
    m.add_argument("--unit", default=None, help="a handling unit's code (default: the province)")
    m.add_argument("--out", required=True, help="folder for the three files (created if missing)")
    m.add_argument("--lang", default="vi", choices=["vi", "en"])
    m.set_defaults(func=cmd_monthly)
    c = s.add_parser("schedule", help="on the first working day of a month: last month's reports for the province "
                                      "and every unit, each sent to its members (idempotent; cron it daily)")
    c.add_argument("--month", default=None, help="generate this month instead of last month (e.g. 2025-10)")
    c.add_argument("--today", default=None, help=argparse.SUPPRESS)
    c.add_argument("--force", action="store_true", help="regenerate reports already archived")
    c.add_argument("--province-only", action="store_true", help="only the province's report")
    c.add_argument("--no-notify", action="store_true", help="do not message the units' members")
    c.set_defaults(func=cmd_schedule)
