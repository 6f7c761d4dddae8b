"""``tinhso notify run [--once]`` (deliver the outbox) and ``tinhso notify status``."""

from __future__ import annotations

import argparse
import os


def cmd_run(args: argparse.Namespace) -> int:
    from tinhso.notify import email, worker

    email.configured()  # a malformed TINHSO_EMAIL_URL is reported at once (UserError, exit 2)
    if args.once:
        result = worker.run_once()
        print(f"sent {result['sent']}, failed tries {result['failed_tries']} / "
              f"đã gửi {result['sent']}, lần gửi lỗi {result['failed_tries']}")
        return 0
    print(f"tinhso notify: worker running every {args.interval:g} s / đang chạy", flush=True)
    worker.run_forever(interval=args.interval, parent_pid=args.parent_pid)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from django.db.models import Count

    from tinhso.notify import email
    from tinhso.notify.models import Message

    rows = Message.objects.values("channel", "state").annotate(n=Count("id")).order_by("channel", "state")
    for row in rows:
        print(f"{row['channel']:8} {row['state']:8} {row['n']}")
    if not email.configured():
        print("TINHSO_EMAIL_URL unset: e-mail stays pending / chưa cấu hình máy chủ thư")
    return 0


def register(sub) -> None:
    group = sub.add_parser("notify", help="notification outbox: deliver e-mail and webhooks")
    commands = group.add_subparsers(dest="notify_command", required=True)
    p = commands.add_parser("run", help="deliver due messages, retrying with back-off")
    p.add_argument("--once", action="store_true", help="deliver what is due now, then exit (for cron)")
    p.add_argument("--interval", type=float, default=float(os.environ.get("TINHSO_NOTIFY_INTERVAL", "5")),
                   help="seconds between rounds (default 5, or TINHSO_NOTIFY_INTERVAL)")
    p.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_run)
    p = commands.add_parser("status", help="count messages per channel and state")
    p.set_defaults(func=cmd_status)
