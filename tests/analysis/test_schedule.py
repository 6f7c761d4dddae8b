"""The monthly run: due on the first working day of the month (Vietnamese holidays), idempotent, and
each unit's report sent to its members through the notification outbox."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.accounts import role_user
from tests.analysis.helpers import populate
from tinhso.analysis import schedule
from tinhso.analysis.models import MonthlyReport
from tinhso.core.workcalendar import WorkCalendar
from tinhso.notify.models import Channel, Message

pytestmark = pytest.mark.django_db


def test_first_working_day_follows_the_vietnamese_calendar():
    cal = WorkCalendar()
    # 1–2 September 2025: National Day holidays; 1 January 2026 a holiday; 1 November 2025 a Saturday
    assert schedule.first_working_day(dt.date(2025, 9, 1), cal) == dt.date(2025, 9, 3)
    assert schedule.first_working_day(dt.date(2026, 1, 1), cal) == dt.date(2026, 1, 2)
    assert schedule.first_working_day(dt.date(2025, 11, 1), cal) == dt.date(2025, 11, 3)
    assert schedule.due_month(dt.date(2025, 9, 2), cal) is None
    assert schedule.due_month(dt.date(2025, 9, 3), cal) == dt.date(2025, 8, 1)
    assert schedule.due_month(dt.date(2025, 9, 20), cal) == dt.date(2025, 8, 1)


def test_run_generates_every_unit_once_and_tells_members(world):
    populate(world)
    leader_syt = role_user("leader-syt", "leader", world.syt)
    world.syt.name_en = "Department of Health"
    world.syt.save(update_fields=["name_en"])
    before = schedule.run(today=dt.date(2025, 11, 1))
    assert before["month"] is None and before["generated"] == [] and MonthlyReport.objects.count() == 0

    result = schedule.run(today=dt.date(2025, 11, 3))
    assert result["month"] == "2025-10"
    assert sorted(result["generated"]) == sorted(["68", "so-y-te", "ubnd-mui-ne", "ubnd-phan-thiet"])
    assert MonthlyReport.objects.filter(month=dt.date(2025, 10, 1)).count() == 4
    inbox = Message.objects.filter(kind=schedule.KIND, channel=Channel.INBOX)
    told = {(m.user.username, m.ref_code) for m in inbox}
    # supervisor of Phan Thiết: its report; operator (province-wide): the province's; the Sở Y tế
    # leader: theirs. Handlers hold no analysis permission and are not told.
    assert told == {("sup_pt", "2025-10/ubnd-phan-thiet"), ("op", "2025-10/68"), ("leader-syt", "2025-10/so-y-te")}
    message = inbox.get(user=leader_syt)
    assert "Sở Y tế" in message.body and "/phan-tich/2025-10/don-vi/so-y-te" in message.body
    assert "tháng 10/2025" in message.subject and "October 2025" in message.subject
    # Each half of the subject names the unit in its language.
    assert "— Sở Y tế / Monthly analysis" in message.subject and message.subject.endswith("— Department of Health")
    assert Message.objects.filter(kind=schedule.KIND, channel=Channel.EMAIL, address="sup_pt@example.org").exists()
    sent = Message.objects.count()

    again = schedule.run(today=dt.date(2025, 11, 20))
    assert again["generated"] == [] and len(again["skipped"]) == 4
    forced = schedule.run(today=dt.date(2025, 11, 20), force=True)
    assert len(forced["generated"]) == 4 and forced["told"] == 0  # regenerated, not sent twice
    assert Message.objects.count() == sent
    assert MonthlyReport.objects.get(unit_code="68", month=dt.date(2025, 10, 1)).revision == 2


def test_schedule_command(world, cli):
    code, out, err = cli("analysis", "schedule", "--month", "2025-10", "--province-only", "--no-notify")
    assert code == 0, err
    assert '"generated": ["68"]' in out
    assert not Message.objects.filter(kind=schedule.KIND).exists()
