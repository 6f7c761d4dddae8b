"""Deadlines per step across a Tết holiday, near-due/overdue flags, overdue notifications once."""

import datetime as dt
from decimal import Decimal

from tests.reports.conftest import actor, local
from tests.reports.factories import submitter
from tinhso.notify.models import Message
from tinhso.reports import handling, intake, sla, triage, workflow
from tinhso.reports.models import CalendarException, DeadlineRule, Measure, State


def submit(w, now, category="traffic"):
    return intake.submit_report(category=category, description="Cây đổ", lat=w.phan_thiet.lat,
                                lon=w.phan_thiet.lon, now=now).report


def test_normal_report_friday_before_tet_2026(world):
    # Friday 13 Feb 2026, 15:00: accept within 8 working hours → 2 h that Friday, 6 h after Tết
    # (the weekend plus the Tết days 16–20 Feb are off): Monday 23 Feb 07:30–11:30 + 13:30–15:30.
    friday = local(2026, 2, 13, 15, 0)
    report = submit(world, friday)
    assert report.accept_due == local(2026, 2, 23, 15, 30)
    op, handler = actor(world.users["op"]), actor(world.users["h_pt"])
    triage.verify(report, op, now=friday + dt.timedelta(minutes=20))
    assert report.state == State.ASSIGNED and report.handling_unit == world.pt
    handling.accept(report, handler, now=local(2026, 2, 13, 16, 0))
    # 5 working days from Friday 16:00 → Friday 27 Feb 16:00 (one week later without Tết: 20 Feb)
    assert report.handle_due == local(2026, 2, 27, 16, 0)
    assert sla.expected_datetime(report) == report.handle_due


def test_urgent_report_before_tet_2027(world):
    report = submit(world, local(2027, 2, 3, 16, 30), category="health")  # urgent by default
    # 2 working hours: 30 min on Wed 3 Feb, Tết from Thu 4 to Wed 10 Feb, then 1.5 h on Thu 11 Feb.
    assert report.accept_due == local(2027, 2, 11, 9, 0)


def test_configured_rules_and_calendar_table(world):
    DeadlineRule.objects.create(category=world.traffic, severity="normal", step="accept", amount=Decimal(3),
                                measure=Measure.CALENDAR_HOURS)
    CalendarException.objects.create(date=dt.date(2025, 3, 5), kind="holiday", name="Nghỉ đột xuất")
    report = submit(world, local(2025, 3, 4, 22, 0))
    assert report.accept_due == local(2025, 3, 5, 1, 0)  # calendar hours ignore the night and the day off
    other = submit(world, local(2025, 3, 4, 16, 0), category="environment")  # general rule, 8 working hours
    assert other.accept_due == local(2025, 3, 6, 16, 30)  # 1 h on the 4th, the 5th is off, 7 h on the 6th


def test_info_request_pauses_the_handle_clock(world):
    start = local(2025, 3, 3, 8, 0)  # Monday
    report = submit(world, start)
    op, handler = actor(world.users["op"]), actor(world.users["h_pt"])
    triage.verify(report, op, now=start)
    handling.accept(report, handler, now=local(2025, 3, 3, 9, 0))
    assert report.handle_due == local(2025, 3, 10, 9, 0)
    handling.request_info(report, handler, question="Vị trí chính xác?", now=local(2025, 3, 4, 9, 0))
    status = sla.deadline_status(report, now=local(2025, 3, 20, 9, 0))
    assert status.paused and not status.overdue
    handling.provide_info(report, submitter(report), answer="Trước số 5", now=local(2025, 3, 5, 9, 0))
    # waited one working day (7.5 h): the deadline moves one working day later
    assert report.handle_due == local(2025, 3, 11, 9, 0)


def test_near_due_and_overdue_flags(world):
    start = local(2025, 3, 3, 8, 0)
    report = submit(world, start)  # accept due: 8 working hours → Monday 8:00 + 8 h = Tuesday 8:30
    assert report.accept_due == local(2025, 3, 4, 8, 30)
    early = sla.deadline_status(report, now=local(2025, 3, 3, 10, 0))
    assert early.step == "accept" and not early.near_due and not early.overdue
    near = sla.deadline_status(report, now=local(2025, 3, 3, 16, 45))  # 1 h 45 min left of 8 h
    assert near.near_due and not near.overdue
    late = sla.deadline_status(report, now=local(2025, 3, 4, 9, 0))
    assert late.overdue and not late.near_due


def test_check_deadlines_notifies_supervisor_once_per_step(world):
    start = local(2025, 3, 3, 8, 0)
    report = submit(world, start, category="environment")  # auto-forwarded to UBND Phan Thiết
    assert report.handling_unit == world.pt
    result = sla.check_deadlines(now=local(2025, 3, 5, 8, 0))
    assert result["overdue_notifications"] == 1
    note = Message.objects.get(kind="report_overdue", channel="inbox")
    assert note.user == world.users["sup_pt"] and note.data["step"] == "accept" and report.code in note.subject
    assert sla.check_deadlines(now=local(2025, 3, 6, 8, 0))["overdue_notifications"] == 0
    handling.accept(report, actor(world.users["h_pt"]), now=local(2025, 3, 6, 8, 0))
    assert sla.check_deadlines(now=local(2025, 3, 20, 8, 0))["overdue_notifications"] == 1
    steps = [m.data["step"] for m in Message.objects.filter(kind="report_overdue", channel="inbox")]
    assert sorted(steps) == ["accept", "handle"]


def test_resolved_report_closes_automatically(world):
    start = local(2025, 3, 3, 8, 0)
    report = submit(world, start, category="environment")
    handler = actor(world.users["h_pt"])
    handling.accept(report, handler, now=start)
    from tests.reports.conftest import png_bytes

    handling.resolve(report, handler, result_text="Đã dọn", photos=[png_bytes()], now=local(2025, 3, 3, 10, 0))
    assert sla.check_deadlines(now=local(2025, 3, 7, 10, 0))["auto_closed"] == 0
    assert sla.check_deadlines(now=local(2025, 3, 10, 11, 0))["auto_closed"] == 1
    report.refresh_from_db()
    assert report.state == State.CLOSED
    assert report.events.last().actor_label == "system"
    assert workflow.open311_status(report.state) == "closed"
