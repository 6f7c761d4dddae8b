"""The archive pages: ``/phan-tich`` (months), one page per month (the province, and the list of
unit reports) and per unit, and the downloads (HTML, PDF, DOCX in Vietnamese or English).

Thin: who may read what is :mod:`tinhso.analysis.access`; the text is :mod:`tinhso.analysis.render`
(the page shows the same document as the files, in the page's language).
"""

from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.safestring import mark_safe

from tinhso.analysis import access, headline, links, report
from tinhso.analysis import render as document
from tinhso.analysis.models import MonthlyReport
from tinhso.core.errors import UserError
from tinhso.core.i18n import english_now

FILE_RE = re.compile(r"^(vi|en)\.(html|pdf|docx)$")
BODY_SECONDS = 3600
BODY_VERSION = 5  # 2: English unit names; 3: relative links, records the reader may open; 4: on-time bases; 5: context links apart, "and N more"


def _lang() -> str:
    return "en" if (translation.get_language() or "vi").startswith("en") else "vi"


def _denied(request, err: UserError):
    return render(request, "analysis/denied.html", {"error": err}, status=err.status)


def _guard(view):
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{settings.LOGIN_URL}?next={request.get_full_path()}")
        try:
            allowed = access.units_for(request.user)
            return view(request, allowed, *args, **kwargs)
        except UserError as err:
            return _denied(request, err)
    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _visible(allowed):
    qs = MonthlyReport.objects.all()
    if allowed is not access.ALL:
        qs = qs.filter(scope=MonthlyReport.Scope.UNIT, unit_code__in=allowed)
    return qs


def _get(allowed, month: str, unit: str | None) -> MonthlyReport:
    start = headline.month_start(month)
    if not access.may_read(allowed, unit):
        raise access.not_found(month, unit)
    qs = MonthlyReport.objects.filter(month=start)
    qs = qs.filter(scope=MonthlyReport.Scope.UNIT, unit_code=unit) if unit else qs.filter(
        scope=MonthlyReport.Scope.PROVINCE)
    found = qs.first()
    if found is None:
        raise access.not_found(month, unit)
    return found


def _body(item: MonthlyReport, lang: str, user) -> str:
    # BODY_VERSION: bumped when the rendering changes, so that no page shows a body cached before.
    # The record links depend on the reader (the pages they may open): part of the key.
    records = links.records_for(user, links.record_codes(item.data))
    digest = hashlib.sha256(repr(sorted(records.items())).encode()).hexdigest()[:16]
    key = f"analysis:body:{BODY_VERSION}:{item.pk}:{item.revision}:{lang}:{digest}"
    body = cache.get(key)
    if body is None:
        body = document.html(item.data, lang, standalone=False, link=links.for_page(records))
        cache.set(key, body, BODY_SECONDS)
    return mark_safe(body)  # noqa: S308 (rendered by the autoescaping Jinja2 document template)


@_guard
def index(request, allowed):
    """The months with an archived report in the user's scope, newest first."""
    rows = {}
    for item in _visible(allowed).order_by("-month", "scope", "unit_code"):
        month = rows.setdefault(item.month_label, {"month": item.month_label, "date": item.month,
                                                   "province": None, "units": 0, "findings": 0,
                                                   "synthetic": False})
        if item.scope == MonthlyReport.Scope.PROVINCE:
            month["province"] = item
        else:
            month["units"] += 1
            month["findings"] += item.findings_count
        month["synthetic"] = month["synthetic"] or item.synthetic
    for month in rows.values():  # the province report's findings already hold the units' (no double count)
        if month["province"] is not None:
            month["findings"] = month["province"].findings_count
    return render(request, "analysis/index.html", {"months": list(rows.values()),
                                                   "province_wide": allowed is access.ALL})


@_guard
def month_page(request, allowed, month: str):
    """The province's report of the month (province-wide staff) and the unit reports in scope."""
    start = headline.month_start(month)
    units = _visible(allowed).filter(month=start, scope=MonthlyReport.Scope.UNIT).order_by("unit_name", "unit_code")
    if english_now():  # listed by the name shown
        units = sorted(units, key=lambda u: (u.local_unit_name.casefold(), u.unit_code))
    province = None
    if allowed is access.ALL:
        province = MonthlyReport.objects.filter(month=start, scope=MonthlyReport.Scope.PROVINCE).first()
    if province is None and not units:
        raise access.not_found(month, None)
    return render(request, "analysis/report.html", {
        "item": province, "month": headline.label(start), "month_date": start, "units": units,
        "body": _body(province, _lang(), request.user) if province else "",
        "download": f"/phan-tich/{headline.label(start)}/tai-ve/"})


@_guard
def unit_page(request, allowed, month: str, unit: str):
    item = _get(allowed, month, unit)
    return render(request, "analysis/report.html", {
        "item": item, "month": item.month_label, "month_date": item.month, "units": [],
        "body": _body(item, _lang(), request.user),
        "download": f"/phan-tich/{item.month_label}/don-vi/{item.unit_code}/tai-ve/"})


def _download(item: MonthlyReport, name: str) -> HttpResponse:
    m = FILE_RE.match(name)
    if not m:
        raise UserError("bad_file", f"Không có tệp {name!r} (vi|en).(html|pdf|docx)",
                        f"No file {name!r} (vi|en).(html|pdf|docx)", status=404)
    lang, fmt = m.groups()
    content, filename = report.stored_file(item, fmt, lang)
    response = HttpResponse(content, content_type=report.CONTENT_TYPES[fmt])
    disposition = "inline" if fmt in ("html", "pdf") else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    if fmt == "html":  # a standalone document with its own inline styles: nothing else may run in it
        response["Content-Security-Policy"] = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    return response


@_guard
def month_download(request, allowed, month: str, name: str):
    return _download(_get(allowed, month, None), name)


@_guard
def unit_download(request, allowed, month: str, unit: str, name: str):
    return _download(_get(allowed, month, unit), name)
