"""Reporters' contact data: kept only while it serves its purpose, then erased.

A citizen's name, phone and e-mail (:data:`tinhso.reports.privacy.CONTACT_FIELDS`) are collected
so the IOC can reach them about their report. Once a report is finished — closed, rejected or
merged into another — and :func:`retention_days` have passed (``settings.REPORTS_CONTACT_RETENTION_DAYS``
or the ``TINHSO_CONTACT_RETENTION_DAYS`` environment variable; default 365), :func:`purge_contacts`
blanks them. A data subject's request is served at once by :func:`erase_contact`, whatever the
report's state.

The report itself is kept (its text, place, handling and figures are the province's record), and
every erasure is one line of its append-only history (action ``erase_contact``, internal, with
the fields erased and why — never their values). Erasing again finds nothing and records nothing,
so a daily run is idempotent:

    15 3 * * *  tinhso reports purge-contacts

The outbox's messages to the reporter's e-mail lose the address at the same time
(:func:`tinhso.reports.notices.forget_reporters`): one still waiting is not sent any more.

Not covered: what a citizen typed into the description, answers or rating comment (report
content, shown to the public only when they agreed), and server logs and backups, which have
their own rotation.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from tinhso.core.errors import UserError
from tinhso.reports import notices
from tinhso.reports.models import Report, ReportEvent, State
from tinhso.reports.privacy import CONTACT_FIELDS

DEFAULT_DAYS = 365
FINISHED_STATES = (State.CLOSED, State.REJECTED, State.MERGED)
RETENTION, REQUEST = "retention", "request"
_NOTES = {
    RETENTION: ("Đã xóa thông tin liên hệ của người gửi (hết thời hạn lưu giữ).",
                "Reporter's contact data erased (retention period over)."),
    REQUEST: ("Đã xóa thông tin liên hệ của người gửi theo yêu cầu của chủ thể dữ liệu.",
              "Reporter's contact data erased at the data subject's request."),
}


def retention_days() -> int:
    """Days after a report is finished before its reporter's contact data is erased (≥ 0)."""
    value = getattr(settings, "REPORTS_CONTACT_RETENTION_DAYS", None)
    if value is None:
        value = os.environ.get("TINHSO_CONTACT_RETENTION_DAYS") or DEFAULT_DAYS
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = -1
    if days < 0:
        raise UserError("bad_retention", f"Thời hạn lưu giữ thông tin liên hệ không hợp lệ: “{value}” (số ngày ≥ 0).",
                        f"Invalid contact retention {value!r} (a number of days ≥ 0).",
                        field="TINHSO_CONTACT_RETENTION_DAYS")
    return days


def _has_contact() -> Q:
    q = Q()
    for name in CONTACT_FIELDS:
        q |= ~Q(**{name: ""})
    return q


def erase_contact(report: Report, *, reason: str = REQUEST, actor_label: str = "system", actor_role: str = "system",
                  now: dt.datetime | None = None, outbox: bool = True) -> list[str]:
    """Blank the report's contact fields and record it; the names of the fields erased ([] = none held).
    The outbox's messages to the reporter's e-mail lose the address too (``outbox=False``: the caller
    has done that already, for many reports at once)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        fields = [name for name in CONTACT_FIELDS if getattr(locked, name)]
        if not fields:
            return []
        if outbox and locked.reporter_email:  # the outbox's copies of the address go with it
            notices.forget_reporters([locked])
        Report.objects.filter(pk=report.pk).update(**dict.fromkeys(fields, ""))
        vi, en = _NOTES[reason]
        ReportEvent.objects.create(report=locked, at=now, actor_label=actor_label[:120], actor_role=actor_role,
                                   action="erase_contact", from_state=locked.state, to_state=locked.state,
                                   note=f"{vi} / {en}", public=False, data={"fields": fields, "reason": reason})
    for name in fields:
        setattr(report, name, "")
    return fields


def erase_contact_by_code(code: str, *, actor_label: str = "system", now: dt.datetime | None = None) -> list[str]:
    """:func:`erase_contact` for a data subject's request; 404 for an unknown tracking code."""
    report = Report.objects.filter(code=str(code or "").strip().upper()).first()
    if report is None:
        raise UserError("unknown_report", f"Không có phản ánh mã “{code}”.", f"No report with code {code!r}.",
                        field="code", status=404)
    return erase_contact(report, reason=REQUEST, actor_label=actor_label, now=now)


def due(*, days: int | None = None, now: dt.datetime | None = None):
    """Finished reports past the retention period that still hold contact data."""
    days = retention_days() if days is None else days
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    return (Report.objects.filter(state__in=FINISHED_STATES).filter(_has_contact())
            .annotate(finished_at=Coalesce("closed_at", "updated_at")).filter(finished_at__lte=cutoff))


def purge_contacts(*, days: int | None = None, now: dt.datetime | None = None) -> dict:
    """Erase the contact data of every report :func:`due`; a summary for the command's output."""
    now = now or timezone.now()
    days = retention_days() if days is None else days
    if days < 0:
        raise UserError("bad_retention", f"Số ngày lưu giữ phải ≥ 0 (nhận được {days}).",
                        f"The retention must be 0 days or more (got {days}).", field="days")
    erased = 0
    reports = due(days=days, now=now).only("pk", "code", "state", "created_at", *CONTACT_FIELDS).order_by("pk")
    rest = reports.iterator()
    while chunk := list(itertools.islice(rest, 500)):
        # The outbox first, for the whole chunk in one read: if the run stops between the two, the
        # reports still hold their contact data and the next run does both again.
        notices.forget_reporters(chunk)
        for report in chunk:
            if erase_contact(report, reason=RETENTION, now=now, outbox=False):
                erased += 1
    return {"erased": erased, "retention_days": days, "finished_before": (now - dt.timedelta(days=days)).isoformat()}
