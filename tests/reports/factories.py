"""Reports built directly in a given state (for state-machine and permission tests)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tinhso.reports import citizen_secret, sla
from tinhso.reports.models import OPEN_STATES, Report, State


def make_report(w, state=State.SUBMITTED, *, unit=None, category=None, lat=None, lon=None, now=None, **fields):
    now = now or timezone.now()
    unit = unit if unit is not None else (None if state in (State.SUBMITTED, State.VERIFIED,
                                                               State.RETURNED_TO_IOC) else w.pt)
    report = Report(category=category or w.traffic, description="Đèn đường hỏng", lat=lat or w.phan_thiet.lat,
                    lon=lon or w.phan_thiet.lon, commune=w.phan_thiet, province_code="68", handling_unit=unit,
                    state=state, is_open=state in OPEN_STATES, created_at=now, updated_at=now,
                    reporter_name="Trần Thị B", reporter_phone="0987654321", reporter_email="b@example.org")
    sla.start_accept_clock(report, now)
    if state in (State.IN_PROGRESS, State.INFO_REQUESTED, State.RESOLVED, State.CLOSED):
        report.accepted_at = now
        report.handle_due = now + dt.timedelta(days=7)
    if state == State.INFO_REQUESTED:
        report.paused_at = now
    if state in (State.RESOLVED, State.CLOSED):
        report.resolved_at = now
    for k, v in fields.items():
        setattr(report, k, v)
    sla.refresh_expected(report)  # the workflow keeps it; reports built here skip the workflow
    report.save()
    return report


def give_secret(report) -> str:
    """Issue the submitter's secret of a report built here (intake is skipped); returns it in clear."""
    secret = citizen_secret.issue(report)
    report.save(update_fields=["citizen_secret_hash"])
    return secret


def submitter(report):
    """The citizen actor of ``report``, proved with a fresh secret."""
    return citizen_secret.holder(report, give_secret(report))
