"""The monthly report: build its data (headline figures + the detectors' findings), archive it, write
its files.

- :func:`build` — the language-independent JSON of one month and scope (no text, no clock);
- :func:`generate` — build and archive it (:class:`~tinhso.analysis.models.MonthlyReport`, one row per
  month and scope; regenerating replaces the data and counts a revision);
- :func:`write_files` — HTML, PDF and DOCX of a language into a folder;
- :func:`stored_file` — one of an archived report's files, written on first request and kept under
  ``MEDIA_ROOT/analysis/``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tinhso.analysis import headline, render
from tinhso.analysis.findings import Context, Finding
from tinhso.analysis.models import MonthlyReport
from tinhso.core.errors import UserError

FORMATS = ("html", "pdf", "docx")
CONTENT_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf",
                 "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def run_detectors(month: dt.date, scope: headline.Scope) -> list[Finding]:
    """The detectors' findings for the month and scope (:func:`tinhso.analysis.detectors.run_all`)."""
    from tinhso.analysis import detectors

    ctx = Context(month=month, unit=scope.code if scope.kind == "unit" else None, province=settings.PROVINCE_CODE)
    return list(detectors.run_all(ctx))


def build(month: dt.date, unit: str | None = None, *, source: headline.DossierSource | None = None,
          findings: list[Finding] | None = None) -> dict:
    """The report's data: headline figures, findings, whether it rests on synthetic data."""
    scope = headline.scope_for(unit)
    # Plan statuses then, from the data as recorded by then (not from the archived reports, which depend
    # on which months were generated and when), judged against the same milestones as this month's.
    head = headline.figures(month, scope, source=source,
                            previous_plan=headline.plan_statuses(scope, headline.shift(month, -1), year=month.year),
                            year_ago_plan=headline.plan_statuses(scope, headline.shift(month, -12), year=month.year))
    if findings is None:
        findings = run_detectors(month, scope)
    found = [f.as_dict() for f in findings]
    synthetic = bool(head["reports"]["synthetic"] or head["dossiers"]["synthetic"])
    return {"version": 1, "headline": head, "findings": found,
            "synthetic": synthetic}


def generate(month: dt.date, unit: str | None = None, *, source: headline.DossierSource | None = None,
             findings: list[Finding] | None = None, now: dt.datetime | None = None) -> MonthlyReport:
    """Build and archive (create or replace) the report of ``month`` for the province or ``unit``."""
    now = now or timezone.now()
    month = headline.month_start(month)
    if month >= timezone.localdate().replace(day=1):
        raise UserError("month_not_over", f"Tháng {headline.label(month)} chưa kết thúc",
                        f"The month {headline.label(month)} is not over yet", field="month")
    data = build(month, unit, source=source, findings=findings)
    scope = data["headline"]["scope"]
    with transaction.atomic():
        report = MonthlyReport.objects.select_for_update().filter(month=month, unit_code=scope["code"]).first()
        if report is None:
            report = MonthlyReport(month=month, unit_code=scope["code"], created_at=now, revision=0)
        report.scope = scope["kind"]
        report.unit_name = scope["name"]
        report.unit_name_en = scope.get("name_en") or ""
        report.data = data
        report.findings_count = len(data["findings"])
        report.synthetic = data["synthetic"]
        report.generated_at = now
        report.revision += 1
        _remove_files(report)
        report.files = []
        report.save()
    return report


def file_bytes(data: dict, fmt: str, lang: str) -> bytes:
    if fmt == "html":
        return render.html(data, lang).encode("utf-8")
    if fmt == "pdf":
        return render.pdf(data, lang)
    if fmt == "docx":
        return render.docx(data, lang)
    raise UserError("bad_format", f"Định dạng {fmt!r} không hỗ trợ (html, pdf, docx)",
                    f"Unsupported format {fmt!r} (html, pdf, docx)", field="format", status=404)


def file_name(month: str, code: str, lang: str, fmt: str) -> str:
    return f"phan-tich-{month}-{code}-{lang}.{fmt}"


def write_files(data: dict, out: Path, lang: str = "vi", formats=FORMATS) -> list[Path]:
    """The report's files in ``out`` (created if missing); returns their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    head = data["headline"]
    paths = []
    for fmt in formats:
        path = out / file_name(head["month"], head["scope"]["code"], lang, fmt)
        path.write_bytes(file_bytes(data, fmt, lang))
        paths.append(path)
    return paths


def _root() -> Path:
    return Path(settings.MEDIA_ROOT) / "analysis"


def _remove_files(report: MonthlyReport) -> None:
    for entry in report.files or []:
        path = _root() / entry["path"]
        if path.is_file():
            path.unlink()


def stored_file(report: MonthlyReport, fmt: str, lang: str) -> tuple[bytes, str]:
    """An archived report's file (bytes, download name), written on first request and kept."""
    render.text.check_lang(lang)
    if fmt not in FORMATS:
        raise UserError("bad_format", f"Định dạng {fmt!r} không hỗ trợ (html, pdf, docx)",
                        f"Unsupported format {fmt!r} (html, pdf, docx)", field="format", status=404)
    name = file_name(report.month_label, report.unit_code, lang, fmt)
    relative = f"{report.month_label}/{report.unit_code}/r{report.revision}-{name}"
    path = _root() / relative
    entry = next((e for e in report.files or [] if e["path"] == relative), None)
    if entry is not None and path.is_file():
        content = path.read_bytes()
        if hashlib.sha256(content).hexdigest() == entry["sha256"]:
            return content, name
    content = file_bytes(report.data, fmt, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    files = [e for e in report.files or [] if e["path"] != relative]
    files.append({"lang": lang, "format": fmt, "path": relative, "sha256": hashlib.sha256(content).hexdigest(),
                  "bytes": len(content)})
    MonthlyReport.objects.filter(pk=report.pk, revision=report.revision).update(files=files)
    report.files = files
    return content, name
