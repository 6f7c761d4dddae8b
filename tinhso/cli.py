"""The one command-line entry point: ``tinhso``.

Platform commands live here (``init``, ``demo``, ``serve``); each app adds its own group
(``units``/``geo`` from :mod:`tinhso.geo.cli`, ``reports``, ``indicators``) through a
``register(subparsers)`` function. Every command is a thin door onto a service module.
User errors print their Vietnamese and English messages and exit 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from tinhso.core.modules import optional_import

# Apps that contribute a command group, an init step and/or demo data, in dependency order.
APP_MODULES = ["tinhso.core", "tinhso.notify", "tinhso.geo", "tinhso.reports", "tinhso.indicators", "tinhso.indices",
               "tinhso.dossiers", "tinhso.ioc", "tinhso.analysis", "tinhso.opendata"]


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()


def cmd_init(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)  # the shared cache of rate-limit counters
    for app in APP_MODULES:
        setup = optional_import(f"{app}.setup")
        if setup and hasattr(setup, "init"):
            setup.init(out=print)
    print("Database ready / Cơ sở dữ liệu sẵn sàng.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    os.environ["TINHSO_DEMO_URL"] = f"http://{args.host}:{args.port}"
    cmd_init(args)
    for app in APP_MODULES:
        setup = optional_import(f"{app}.setup")
        if setup and hasattr(setup, "load_demo"):
            setup.load_demo(out=print)
    if args.no_serve:
        return 0
    return cmd_serve(args)


def cmd_serve(args: argparse.Namespace) -> int:
    from tinhso.core.serve import serve

    return serve(args.host, args.port, workers=args.workers)


def cmd_backup(args: argparse.Namespace) -> int:
    from tinhso.core import backup

    backup.create(args.out)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from tinhso.core import backup

    backup.restore(args.archive, force=args.force)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tinhso", description="Tỉnh số — IOC platform")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="create/migrate the database and load the unit registry (idempotent)")
    p.set_defaults(func=cmd_init)

    for name, func, help_text in [
        ("demo", cmd_demo, "init, load the demo data (idempotent), then serve"),
        ("serve", cmd_serve, "serve the platform over HTTP"),
    ]:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core, or TINHSO_WORKERS)")
        if name == "demo":
            p.add_argument("--no-serve", action="store_true", help="load everything, then exit")
        p.set_defaults(func=func)

    p = sub.add_parser("backup", help="database + media/dossiers in one owner-only archive with a manifest of hashes")
    p.add_argument("out", metavar="OUT", help="archive to write (.tar); refused if it exists")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="restore an archive of `tinhso backup` (verifies hashes and row counts)")
    p.add_argument("archive", metavar="IN")
    p.add_argument("--force", action="store_true", help="overwrite a non-empty installation (stop the server first)")
    p.set_defaults(func=cmd_restore)

    for app in APP_MODULES:
        cli = optional_import(f"{app}.cli")
        if cli and hasattr(cli, "register"):
            cli.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # files under var/ (database, keys, media, logs) are the owner's only
    args_given = sys.argv[1:] if argv is None else argv
    if args_given[:1] == ["demo"]:
        # Demo mode (settings.DEMO): the server may run on the generated per-install secret key.
        os.environ["TINHSO_DEMO"] = "1"
    _setup_django()
    from django.db import DatabaseError

    from tinhso.core.errors import UserError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UserError as err:
        print(f"Lỗi / Error: {err}", file=sys.stderr)
        return 2
    except DatabaseError as err:
        # Most often a database that was never initialised (or is behind the code's migrations).
        print(f"Lỗi cơ sở dữ liệu / Database error: {err}\n"
              "Cơ sở dữ liệu đã được khởi tạo chưa? Chạy `tinhso init`. / "
              "Is the database initialised and migrated? Run `tinhso init`.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
