"""``tinhso indicators …``: status of a plan, Excel template, import, export, merged view, history."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tinhso.core import limits
from tinhso.core.errors import UserError


def _status(args: argparse.Namespace) -> int:
    from tinhso.indicators import progress, status

    report = status.plan_status(args.plan, args.milestone)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    labels = progress.CLASS_LABELS
    print(f"{report['plan']} — mốc / milestone {report['milestone']}")
    for e in report["indicators"]:
        latest = e["latest"] or {}
        shown = latest.get("value")
        shown = "đạt (nguồn)" if shown is None and latest.get("reported_met_milestone") else shown
        print(f"  [{e['pillar']}] {e['code']:<32} {labels[e['status']][1]:<18} target {e['target']!s:<6} "
              f"latest {shown!s} ({latest.get('period', '—')})")
        for lv in e["levels"]:
            flag = f"  ⚠ level abolished {lv['level_abolished_on']}" if lv["level_abolished_on"] else ""
            print(f"      {lv['level']:<9} target {lv['target']!s:<6} {labels[lv['status']][1]}{flag}")
    s = report["summary"]
    print("Summary: " + ", ".join(f"{labels[k][1]} {v}" for k, v in s["counts"].items())
          + f"; mean score {s['mean_score']}")
    return 0


def _template(args: argparse.Namespace) -> int:
    from tinhso.indicators import io, status

    plan = status.get_plan(args.plan) if args.plan else None
    Path(args.out).write_bytes(io.template(plan))
    print(f"Template written / Đã ghi mẫu: {args.out}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from tinhso.indicators import io

    path = Path(args.file)
    if not path.is_file():
        raise UserError("file_not_found", f"Không có tệp {path}", f"No such file {path}", field="file")
    limits.check_file_size(path.stat().st_size)  # before the file is read into memory
    try:
        counts = io.import_file(path.read_bytes(), path.name, entered_by_name=args.entered_by)
    except UserError as err:
        if err.code == "import_invalid":
            print(f"Lỗi / Error: {err.message_vi} / {err.message_en}", file=sys.stderr)
            for e in err.details:
                print(f"  row {e['row']}, column {e['column']}: {e['reason']}", file=sys.stderr)
            return 2
        raise
    print(json.dumps(counts) if args.json else
          f"Imported / Đã nhập: {counts['rows']} rows — created {counts['created']}, revised {counts['revised']}, "
          f"unchanged {counts['unchanged']}, new sources {counts['sources_created']}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from tinhso.indicators import io

    content, _ = io.export(args.plan, args.milestone, args.format, what=args.what)
    if args.out == "-":
        sys.stdout.buffer.write(content)
    else:
        Path(args.out).write_bytes(content)
        print(f"Exported / Đã xuất: {args.out}")
    return 0


def _merged(args: argparse.Namespace) -> int:
    from tinhso.indicators import merged

    print(json.dumps(merged.merged_view(args.unit, indicator_codes=args.indicator or None),
                     ensure_ascii=False, indent=1))
    return 0


def _history(args: argparse.Namespace) -> int:
    from tinhso.indicators import observations
    from tinhso.indicators.models import Indicator

    indicator = Indicator.objects.filter(code=args.indicator).first()
    if indicator is None:
        raise UserError("indicator_not_found", f"Không có chỉ tiêu {args.indicator!r}",
                        f"No indicator {args.indicator!r}", field="indicator", status=404)
    from django.utils import timezone

    rows = observations.history(indicator, observations.resolve_unit(args.unit))
    superseded = {o.supersedes_id for o in rows if o.supersedes_id}
    for o in rows:
        mark = "  (superseded)" if o.pk in superseded else ""
        shown = f"{o.qualifier}{o.value:g}" if o.value is not None else f"target {o.reported_met_milestone} met"
        print(f"{o.period} {o.level:<8} {shown} [{o.source.key}] by {o.entered_by_name} "
              f"at {timezone.localtime(o.entered_at):%Y-%m-%d %H:%M} (Asia/Ho_Chi_Minh){mark} {o.revision_note}")
    return 0


def register(subparsers) -> None:
    group = subparsers.add_parser("indicators", help="plan indicators: status, template, import, export")
    sub = group.add_subparsers(dest="indicators_command", required=True)

    p = sub.add_parser("status", help="assess every indicator of a plan at a milestone")
    p.add_argument("--plan", required=True)
    p.add_argument("--milestone", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_status)

    p = sub.add_parser("template", help="write the Excel entry template")
    p.add_argument("out")
    p.add_argument("--plan", help="list this plan's indicators and unit in the template")
    p.set_defaults(func=_template)

    p = sub.add_parser("import", help="import observations from a CSV or XLSX file (all rows or none)")
    p.add_argument("file")
    p.add_argument("--entered-by", default="cli", help="who is entering the figures (recorded)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_import)

    p = sub.add_parser("export", help="export a plan's series or status as csv, xlsx or json")
    p.add_argument("--plan", required=True)
    p.add_argument("--milestone", required=True)
    p.add_argument("--format", choices=["csv", "xlsx", "json"], default="csv")
    p.add_argument("--what", choices=["series", "status"], default="series", help="table for CSV")
    p.add_argument("--out", default="-")
    p.set_defaults(func=_export)

    p = sub.add_parser("merged", help="combine the former provinces' series for a current unit")
    p.add_argument("--unit", default="current:68", help="current unit, e.g. current:68 (Lâm Đồng)")
    p.add_argument("--indicator", action="append", help="indicator code (repeatable); default all")
    p.set_defaults(func=_merged)

    p = sub.add_parser("history", help="every revision of an indicator's figures for a unit")
    p.add_argument("--indicator", required=True)
    p.add_argument("--unit", required=True, help="e.g. legacy:60")
    p.set_defaults(func=_history)
