"""Notification outbox: rows are created in the database first, then delivered.

Delivery by e-mail (Django's e-mail backend) happens only when the ``SEND_NOTIFICATION_EMAILS``
setting is true; otherwise the outbox is read in the admin and the staff pages, and ``sent_at``
stays empty. A failed delivery keeps the row unsent with the error, to be retried next run.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.reports.models import Notification, Report, Step


def notify_overdue(report: Report, step: str, user, now: dt.datetime) -> int:
    """Create the overdue notice for (report, step, user) once; return 1 if created."""
    if Notification.objects.filter(kind=Notification.Kind.OVERDUE, report=report, step=step,
                                   recipient=user).exists():
        return 0
    due = report.accept_due if step == Step.ACCEPT else report.handle_due
    local = timezone.localtime(due).strftime("%H:%M %d/%m/%Y") if due else "?"
    unit = report.handling_unit.name if report.handling_unit_id else "IOC"
    step_vi = "tiếp nhận" if step == Step.ACCEPT else "xử lý"
    try:
        with transaction.atomic():
            Notification.objects.create(
                kind=Notification.Kind.OVERDUE, report=report, step=step, recipient=user,
                email=getattr(user, "email", "") or "", created_at=now,
                subject=f"[Quá hạn / Overdue] {report.code} — {unit}",
                body=(f"Phản ánh {report.code} ({report.category.name_vi}) đã quá hạn {step_vi} lúc {local}.\n"
                      f"Report {report.code} is overdue for step '{step}' since {local}.\nĐơn vị / Unit: {unit}"),
            )
    except IntegrityError:
        return 0
    return 1


def deliver_pending(limit: int = 500) -> int:
    if not getattr(settings, "SEND_NOTIFICATION_EMAILS", False):
        return 0
    sent = 0
    for note in Notification.objects.filter(sent_at__isnull=True).exclude(email="")[:limit]:
        try:
            send_mail(note.subject, note.body, None, [note.email])
        except Exception as exc:  # noqa: BLE001 — any transport failure: keep it for the next run
            Notification.objects.filter(pk=note.pk).update(error=str(exc)[:1000])
            continue
        Notification.objects.filter(pk=note.pk).update(sent_at=timezone.now(), error="")
        sent += 1
    return sent
