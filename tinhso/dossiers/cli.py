"""``tinhso dossiers …``: import, catalogue, feedback, indicators, due-soon, list, generate, supply, compact."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from tinhso.core.errors import UserError


def _print_errors(err: UserError) -> int:
    print(f"Lỗi / Error: {err.message_vi.split(':')[0]} / {err.message_en.split(':')[0]}", file=sys.stderr)
    for e in err.details:
        print(f"  {e['where']}, {e['field'] or '-'}: {e['reason']}", file=sys.stderr)
    return 2


def _catalogue(args: argparse.Namespace) -> int:
    from tinhso.dossiers.catalogue import import_catalogue

    try:
        result = import_catalogue(args.file)
    except UserError as err:
        if err.code == "dossier_import_invalid" and isinstance(err.details, list):
            return _print_errors(err)
        raise
    print(f"{result['procedures']} thủ tục / procedures ({result['created']} new, {result['updated']} updated)")
    return 0


def _feedback(args: argparse.Namespace) -> int:
    from tinhso.dossiers.feedback import import_feedback

    try:
        result = import_feedback(args.file, synthetic=args.synthetic)
    except UserError as err:
        if err.code == "dossier_import_invalid" and isinstance(err.details, list):
            return _print_errors(err)
        raise
    print(f"{result['feedback']} PAKN ({result['created']} new, {result['updated']} updated)")
    return 0


def _import(args: argparse.Namespace) -> int:
    from tinhso.dossiers import service

    try:
        result = service.import_file(args.file, synthetic=args.synthetic)
    except UserError as err:
        if args.json:  # the errors on stdout too, for a program reading the JSON
            errors = err.details if isinstance(err.details, list) else \
                [{"where": str(args.file), "field": err.field, "reason": f"{err.message_vi} / {err.message_en}"}]
            print(json.dumps({"error": err.code, "message": err.message_en, "message_vi": err.message_vi,
                              "errors": [{"where": e.get("where"), "field": e.get("field"), "reason": e.get("reason")}
                                         for e in errors]}, ensure_ascii=False))
        if err.code == "dossier_import_invalid" and isinstance(err.details, list):
            return _print_errors(err)
        raise
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"Đã nhập / imported {result['records']} hồ sơ / dossiers (import #{result['import']}, "
              f"months {', '.join(result['months'])})")
    return 0


def _indicators(args: argparse.Namespace) -> int:
    from tinhso.dossiers import service
    from tinhso.dossiers.indicators import ORDER

    doc = service.indicators(args.period, args.by, engine=args.engine, mode=args.mode)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=1))
        return 0
    print(f"Bộ chỉ số 766 — {doc['period']} ({doc['start']} – {doc['end']}), {doc['level']}, "
          f"supplementation: {doc['supplement_mode']}")
    print(f"{'#':>4} {'code':<28} {'total':>7} " + " ".join(f"{g[:8]:>8}" for g in doc["units"][0]["groups"])
          if doc["units"] else "(no units)")
    for u in doc["units"]:
        total = f"{u['total']:7.2f}" if u["total"] is not None else f"{'—':>7}"
        groups = " ".join(f"{v:8.2f}" if v is not None else f"{'—':>8}" for v in u["groups"].values())
        rate = u["indicators"].get("2.1", {}).get("rate")
        print(f"{u['rank'] or '':>4} {u['code'][:28]:<28} {total} {groups}  2.1={rate if rate is not None else '—'}")
    lacking = sorted({c for u in doc["units"] for c in u.get("missing", ())},
                     key=lambda c: (ORDER.index(c) if c in ORDER else len(ORDER), c))
    if lacking:
        print(f"Thiếu / missing: {', '.join(lacking)} — tính 0 điểm; tổng là mức tối thiểu trên số điểm đạt được tối đa "
              f"(max_possible) / counted as 0 points: each total is a lower bound out of its max_possible. "
              f"Nhập giá trị / supply them: tinhso dossiers supply CODE RATE")
    return 0


def _due_soon(args: argparse.Namespace) -> int:
    from tinhso.dossiers import service

    now = dt.datetime.fromisoformat(args.now) if args.now else None
    doc = service.due_soon(args.hours, now=now, engine=args.engine, agency=args.agency)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=1))
        return 0
    print(f"{doc['count']} hồ sơ đến hạn trong {args.hours:g} giờ làm việc / dossiers due by {doc['until']}")
    for g in doc["agencies"]:
        print(f"  {g['name']}: {g['count']}")
        for o in g["officers"]:
            print(f"    {o['officer'] or '—'}: {o['count']}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from tinhso.dossiers import service

    filters = {k: getattr(args, k) for k in ("period", "bucket", "since", "until", "agency", "ma_tthc", "status",
                                             "channel")
               if getattr(args, k) not in (None, "")}
    doc = service.list_dossiers(filters, page=args.page, page_size=args.page_size)
    print(json.dumps(doc, ensure_ascii=False, indent=1))
    return 0


MAX_MONTHS = 240
FIRST_YEAR = 1990
LAST_DAY = dt.date(2099, 12, 31)
"""The generated data stays within the years the importer reads (1990–2100), due dates after ``--end`` included."""


def _synthetic_catalogue() -> None:
    """The built-in synthetic procedure list (``DEMO.*``, flagged synthetic) the generated dossiers use, added
    to the catalogue when it is not there (a plain ``tinhso init``), so the file imports as it is."""
    from tinhso.dossiers import setup
    from tinhso.dossiers.models import Agency, Procedure

    if not Agency.objects.filter(active=True).exists():
        raise UserError("no_agencies", "Chưa có cơ quan nào (chạy `tinhso init` trước)",
                        "No agencies yet (run `tinhso init` first)", field="catalogue")
    if not Procedure.objects.filter(synthetic=True).exists():
        n = setup.demo_catalogue()
        print(f"Đã thêm {n} thủ tục mẫu DEMO.* (dữ liệu mẫu) vào danh mục để tệp nhập được / added {n} synthetic "
              "procedures DEMO.* (flagged synthetic) to the catalogue so the file imports", file=sys.stderr)


def _generate(args: argparse.Namespace) -> int:
    from tinhso.dossiers import service

    end = None
    if args.end:
        try:
            end = dt.date.fromisoformat(args.end)
        except ValueError:
            raise UserError("bad_end", f"--end {args.end!r} không phải ngày YYYY-MM-DD",
                            f"--end {args.end!r} is not a date YYYY-MM-DD", field="end") from None
    if not 1 <= args.months <= MAX_MONTHS:
        raise UserError("bad_months", f"--months phải từ 1 đến {MAX_MONTHS}", f"--months must be 1 to {MAX_MONTHS}",
                        field="months")
    last = end or dt.date.today()
    first_month = last.year * 12 + last.month - 1 - (args.months - 1)
    if first_month < FIRST_YEAR * 12 or last > LAST_DAY:
        raise UserError("bad_end", f"Dữ liệu phải nằm trong {FIRST_YEAR}-01-01 – {LAST_DAY} (năm nhập được "
                                   f"1990–2100): --end {last} với --months {args.months} ra ngoài",
                        f"The data must lie within {FIRST_YEAR}-01-01 – {LAST_DAY} (the years the importer reads are "
                        f"1990–2100): --end {last} with --months {args.months} falls outside", field="end")
    out = Path(args.out)
    if not out.parent.is_dir():
        raise UserError("bad_out", f"Thư mục {str(out.parent)!r} không tồn tại", f"No directory {str(out.parent)!r}",
                        field="out")
    if out.is_dir():
        raise UserError("bad_out", f"{args.out!r} là một thư mục", f"{args.out!r} is a directory", field="out")
    month = None
    if args.effects_month:
        try:
            month = dt.date.fromisoformat(args.effects_month + "-01")
        except ValueError:
            raise UserError("bad_month", "--effects-month phải có dạng YYYY-MM", "--effects-month must be YYYY-MM",
                            field="effects_month") from None
    if not 0 <= args.effects <= 50:
        raise UserError("bad_effects", "Số hiệu ứng phải từ 0 đến 50", "Effects must be 0 to 50", field="effects")
    _synthetic_catalogue()
    injected: list = []
    try:
        n = service.generate(args.out, args.count, args.seed, end=end, months=args.months, effects=args.effects,
                             effects_month=month, injected=injected)
    except OSError as exc:
        raise UserError("bad_out", f"Không ghi được {args.out!r}: {exc.strerror or exc}",
                        f"Cannot write {args.out!r}: {exc.strerror or exc}", field="out") from None
    print(f"{n} hồ sơ mẫu / synthetic dossiers → {args.out}", file=sys.stderr)
    for e in injected:
        print(f"injected {e['kind']}: unit={e['unit_code']} ({e['unit_name']}) month={e['month']} "
              f"dossiers={e['dossiers_in_month']} (month before: {e['dossiers_month_before']})")
    if args.effects_out:
        Path(args.effects_out).write_text(json.dumps(injected, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def _supply(args: argparse.Namespace) -> int:
    from tinhso.dossiers.indicators import ORDER
    from tinhso.dossiers.models import Agency, SuppliedValue
    from tinhso.dossiers.periods import parse
    from tinhso.dossiers.scoring import SUPPLIABLE

    if args.indicator not in SUPPLIABLE:
        known = "có, nhưng được tính từ hồ sơ" if args.indicator in ORDER else "không có"
        known_en = "is computed from the records" if args.indicator in ORDER else "does not exist"
        raise UserError("bad_indicator", f"Chỉ số {args.indicator!r} {known}; chỉ nhập được giá trị cho "
                                         f"{', '.join(SUPPLIABLE)}",
                        f"Indicator {args.indicator!r} {known_en}; values can be supplied only for "
                        f"{', '.join(SUPPLIABLE)}", field="indicator")
    if not 0 <= args.value <= 100:
        raise UserError("bad_value", "Tỷ lệ phải từ 0 đến 100", "The rate must be 0 to 100", field="value")
    agency = None
    if args.agency:
        agency = Agency.objects.filter(code=args.agency).first()
        if agency is None:
            raise UserError("agency_not_found", f"Không có cơ quan {args.agency!r}", f"No agency {args.agency!r}",
                            field="agency", status=404)
    period = parse(args.period).code if args.period else ""
    SuppliedValue.objects.update_or_create(indicator=args.indicator, agency=agency, period=period,
                                           defaults={"value": args.value, "note": args.note or ""})
    print(f"{args.indicator} = {args.value:g} ({args.agency or 'tỉnh / province'}, {period or 'mọi kỳ / every period'})")
    return 0


def _compact(args: argparse.Namespace) -> int:
    from tinhso.dossiers import store

    print(f"{store.compact()} superseded rows dropped")
    return 0


def register(subparsers) -> None:
    group = subparsers.add_parser("dossiers", help="public-service dossiers (hồ sơ TTHC) and the Decision 766 index")
    sub = group.add_subparsers(dest="dossiers_command", required=True)

    p = sub.add_parser("import", help="import dossiers (JSON, JSON Lines, CSV, XLSX, Parquet); all or nothing")
    p.add_argument("file")
    p.add_argument("--synthetic", action="store_true", help="mark the import as synthetic demo data")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_import)

    p = sub.add_parser("catalogue", help="import the procedure catalogue (TTHC), upserted by MaTTHC; all or nothing")
    p.add_argument("file")
    p.set_defaults(func=_catalogue)

    p = sub.add_parser("feedback", help="import citizen feedback (PAKN) for 5.1–5.3, upserted by MaPAKN; all or nothing")
    p.add_argument("file")
    p.add_argument("--synthetic", action="store_true")
    p.set_defaults(func=_feedback)

    for name, func, text in (("indicators", _indicators, "766 indicators, group points, totals and ranks"),):
        p = sub.add_parser(name, help=text)
        p.add_argument("--period", required=True, help="2025-W42, 2025-10, 2025-Q4 or 2025")
        p.add_argument("--by", default="agency", choices=("agency", "commune", "province"))
        p.add_argument("--engine", default="duckdb", choices=("duckdb", "spark"))
        p.add_argument("--mode", choices=("pause", "restart"), help="supplementation rule (default: the setting)")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=func)

    p = sub.add_parser("due-soon", help="unfinished dossiers due within N working hours, per agency and officer")
    p.add_argument("--hours", type=float, default=24)
    p.add_argument("--now", help="ISO date-time (Vietnam time) instead of now")
    p.add_argument("--agency")
    p.add_argument("--engine", default="duckdb", choices=("duckdb", "spark"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_due_soon)

    p = sub.add_parser("list", help="the dossiers behind a number (JSON, paged)")
    p.add_argument("--period")
    p.add_argument("--bucket", help="e.g. finished_late, received_online, in_progress_over")
    p.add_argument("--since", help="first reception day, YYYY-MM-DD (inclusive)")
    p.add_argument("--until", help="last reception day, YYYY-MM-DD (inclusive)")
    p.add_argument("--agency")
    p.add_argument("--ma-tthc", dest="ma_tthc")
    p.add_argument("--status", type=int)
    p.add_argument("--channel", type=int)
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--page-size", type=int, default=50)
    p.set_defaults(func=_list)

    p = sub.add_parser("generate", help="write seeded synthetic dossiers (flagged DuLieuMau=1)")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--seed", type=int, default=766)
    p.add_argument("--out", required=True, help=".json, .jsonl, .csv or .parquet")
    p.add_argument("--end", help="last day of the data (default today)")
    p.add_argument("--months", type=int, default=12)
    p.add_argument("--effects", type=int, default=0, help="inject N effects (an agency's digitisation drops; printed)")
    p.add_argument("--effects-month", help="YYYY-MM (default: the last complete month before --end)")
    p.add_argument("--effects-out", metavar="FILE", help="write the injected effects as JSON")
    p.set_defaults(func=_generate)

    p = sub.add_parser("supply", help="set a supplied rate (percent) for an indicator records cannot give "
                                            "(1.1, 1.2, 1.3, 1.4, 4.2c, 5.2, 5.3)")
    p.add_argument("indicator")
    p.add_argument("value", type=float)
    p.add_argument("--agency")
    p.add_argument("--period")
    p.add_argument("--note")
    p.set_defaults(func=_supply)

    p = sub.add_parser("compact", help="rewrite the store keeping only the current version of each dossier")
    p.set_defaults(func=_compact)
