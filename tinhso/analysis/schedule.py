"""The monthly run: on the first working day of a month (Vietnamese calendar, with the holidays and
make-up working days of :mod:`tinhso.core.workcalendar` and the configured exceptions), generate last
month's report for the province and every active handling unit, and tell each unit's members.

Idempotent: a report already archived is left alone (``--force`` regenerates), and the message to
each member carries a dedupe key, so running it every day from cron is safe::

    # /etc/cron.d/tinhso — every day at 06:30; does nothing until the first working day of the month
    30 6 * * *  tinhso  cd /srv/tinhso && .venv/bin/tinhso analysis schedule

Messages go through the notification outbox (:func:`tinhso.notify.send`): each unit's active members
(any role) get it in their inbox and/or by e-mail per their preference; the province's report goes to
the province-wide members (no unit) who hold the analysis permission.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tinhso.analysis import access, headline, report
from tinhso.analysis.models import MonthlyReport

KIND = "analysis_monthly_report"
TEMPLATE = "analysis/notify/monthly_report"


def first_working_day(month: dt.date, calendar=None) -> dt.date:
    if calendar is None:
        from tinhso.reports.sla import build_calendar

        calendar = build_calendar()
    day = month.replace(day=1)
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def due_month(today: dt.date, calendar=None) -> dt.date | None:
    """Last month, once today is on or after this month's first working day; else None."""
    this_month = today.replace(day=1)
    if today < first_working_day(this_month, calendar):
        return None
    return headline.shift(this_month, -1)


def unit_codes() -> list[str]:
    from tinhso.reports.models import HandlingUnit, UnitKind

    return list(HandlingUnit.objects.filter(active=True).exclude(kind=UnitKind.IOC)
                .order_by("code").values_list("code", flat=True))


def recipients(item: MonthlyReport) -> list:
    from django.contrib.auth import get_user_model

    from tinhso.reports.models import Membership

    qs = Membership.objects.filter(active=True, user__is_active=True)
    qs = qs.filter(unit__code=item.unit_code) if item.scope == MonthlyReport.Scope.UNIT else qs.filter(unit=None)
    ids = set(qs.values_list("user_id", flat=True))
    users = get_user_model().objects.filter(pk__in=ids).order_by("pk")
    return [u for u in users if u.has_perm(access.PERMISSION)]


def notify(item: MonthlyReport, now: dt.datetime | None = None) -> int:
    """Tell the report's readers (once per report and month); how many users were told now."""
    from tinhso import notify as outbox
    from tinhso.analysis import text
    from tinhso.notify.outbox import render

    path = f"/phan-tich/{item.month_label}"
    if item.scope == MonthlyReport.Scope.UNIT:
        path += f"/don-vi/{item.unit_code}"
    url = f"{settings.SITE_URL}{path}"
    scope = item.data["headline"]["scope"]
    context = {"month_vi": text.month(item.month, "vi"), "month_en": text.month(item.month, "en"),
               "name": scope["name"], "name_en": scope["name_en"], "findings": item.findings_count,
               "synthetic": item.synthetic, "url": url, "url_pdf": f"{url}/tai-ve/vi.pdf",
               "url_docx": f"{url}/tai-ve/vi.docx"}
    words = render(TEMPLATE, context)
    rows = outbox.send(KIND, subject=words.subject, body=words.body, users=recipients(item), webhook=False,
                       ref_app="analysis", ref_code=f"{item.month_label}/{item.unit_code}", ref_url=url,
                       dedupe=f"{KIND}:{item.month_label}:{item.unit_code}", now=now,
                       data={"month": item.month_label, "unit": item.unit_code})
    MonthlyReport.objects.filter(pk=item.pk).update(notified_at=now or timezone.now())
    return len({m.user_id for m in rows if m.user_id})


def run(*, today: dt.date | None = None, month: dt.date | None = None, force: bool = False,
        units: bool = True, send: bool = True, out=None) -> dict:
    """Generate the missing reports of ``month`` (default: last month once it is due)."""
    today = today or timezone.localdate()
    month = month or due_month(today)
    if month is None:
        return {"month": None, "generated": [], "skipped": [], "told": 0,
                "reason": f"before the first working day ({first_working_day(today.replace(day=1)).isoformat()})"}
    codes: list[str | None] = [None] + (unit_codes() if units else [])
    source = headline.DossierSource()
    generated, skipped, told = [], [], 0
    for code in codes:
        key = code or settings.PROVINCE_CODE
        if not force and MonthlyReport.objects.filter(month=month, unit_code=key).exists():
            skipped.append(key)
            continue
        with transaction.atomic():
            item = report.generate(month, code, source=source)
            if send:
                told += notify(item)
        generated.append(key)
        if out:
            out(f"{headline.label(month)} {key}: {item.findings_count} findings")
    return {"month": headline.label(month), "generated": generated, "skipped": skipped, "told": told}
