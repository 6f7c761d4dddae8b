"""tinhso.core.fastinsert writes the same rows as the ORM (on SQLite and on PostgreSQL: the suite runs on both)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tinhso.core import fastinsert
from tinhso.notify.models import Channel, Message
from tinhso.reports.models import Report, ReportEvent, Severity, State

pytestmark = pytest.mark.django_db


def _report(w, code: str, now) -> Report:
    report = Report(code=code, category=w.traffic, description="Đèn đường  hỏng\ntrước nhà số 5", address="Số 5",
                    lat=10.9289123456789, lon=108.1021, commune=w.phan_thiet, province_code="68", state=State.SUBMITTED,
                    is_open=True, severity=Severity.URGENT, created_at=now, updated_at=now,
                    accept_started_at=now, accept_due=now + dt.timedelta(hours=8, microseconds=7),
                    reporter_name="Trần Thị B", reporter_email="b@example.org", public=False, synthetic=True)
    report.refresh_search_text()
    return report


def _row(model, pk, *skip):
    row = model.objects.filter(pk=pk).values()[0]
    return {k: v for k, v in row.items() if k not in ("id", *skip)}


def test_a_report_and_its_events_are_the_rows_the_orm_writes(world):
    now = timezone.now().replace(microsecond=123456)
    orm, fast = _report(world, "PA-ORM01-00001", now), _report(world, "PA-FST01-00001", now)
    orm.save()
    fastinsert.insert([fast])
    assert fast.pk is not None and fast.pk != orm.pk and not fast._state.adding
    assert _row(Report, fast.pk, "code") == _row(Report, orm.pk, "code")
    # values of the wrong Python type go through the field's own preparation, as in the ORM
    fast2 = _report(world, "PA-FST02-00001", now)
    fast2.lat, fast2.rating = "10.5", True  # a string for a float column; a bool for an integer column
    fastinsert.insert([fast2])
    fast2.refresh_from_db()
    assert fast2.lat == 10.5 and fast2.rating == 1

    def events(report):
        return [ReportEvent(report=report, at=now, actor_label="Công dân", actor_role="citizen", action="submit",
                            from_state="", to_state=State.SUBMITTED, public=True,
                            data={"channel": "web", "commune": "22861", "nested": [1, "ễ", None]}),
                ReportEvent(report=report, at=now + dt.timedelta(seconds=1), actor=world.users["op"], actor_label="IOC",
                            actor_role="operator", action="verify", from_state=State.SUBMITTED,
                            to_state=State.VERIFIED, note="Đã xác minh", public=False, data={})]

    ReportEvent.objects.bulk_create(orm_events := events(orm))
    fastinsert.insert(fast_events := events(fast))
    assert [e.pk for e in fast_events] == sorted(e.pk for e in fast_events)  # ids in the rows' order
    assert [_row(ReportEvent, e.pk, "report_id") for e in fast_events] == \
        [_row(ReportEvent, e.pk, "report_id") for e in orm_events]
    assert {e.report_id for e in fast_events} == {fast.pk}


def test_outbox_messages_are_the_rows_the_orm_writes(world):
    now = timezone.now()

    def message(address):
        return Message(channel=Channel.EMAIL, kind="report_acknowledged", address=address, subject="Tiếp nhận",
                       body="Nội dung\n", body_html="<p>Nội dung</p>", ref_app="reports", ref_code="PA-1",
                       data={"state": "submitted"}, sensitive=True, created_at=now, next_attempt_at=now)

    orm = message("a@example.org")
    orm.save()
    fast = [message("a@example.org"), message("b@example.org")]
    fastinsert.insert(fast)
    assert _row(Message, fast[0].pk) == _row(Message, orm.pk)
    assert _row(Message, fast[1].pk)["address"] == "b@example.org"


def test_a_constraint_violation_is_djangos_integrity_error(world):
    from django.db import IntegrityError, transaction

    now = timezone.now()
    fastinsert.insert([_report(world, "PA-DUP01-00001", now)])
    with pytest.raises(IntegrityError), transaction.atomic():
        fastinsert.insert([_report(world, "PA-DUP01-00001", now)])


def _state(obj) -> dict:
    """An unsaved instance as what a save or a read of it sees: its attributes and cached relations."""
    attrs = {k: v for k, v in obj.__dict__.items() if k != "_state"}
    return {"attrs": attrs, "cached": dict(obj._state.fields_cache), "adding": obj._state.adding,
            "db": obj._state.db}


def test_new_builds_the_instance_the_constructor_builds(world):
    """fastinsert.new(Model, **kw) == Model(**kw): related objects by instance or by id, None, defaults
    (callable ones called for each instance), keywords left out."""
    from django.contrib.auth import get_user_model

    from tinhso.reports.models import Category

    now = timezone.now()
    user = get_user_model().objects.create(username="new-builder")
    cases = [
        (Report, dict(category=world.traffic, description="Ổ gà", lat=10.9, lon=108.1, commune=world.phan_thiet,
                      commune_id=world.phan_thiet.pk, province_code="68", boundary_version_id=None,
                      api_client=None, idempotency_scope="", reporter_email="b@example.org", public=True,
                      created_at=now, updated_at=now, state=State.SUBMITTED, is_open=True, code="PA-NEW01-00001")),
        (Report, dict(category_id=world.traffic.pk, description="x", lat=1.0, lon=2.0, code="PA-NEW02-00001")),
        (ReportEvent, dict(at=now, actor=None, actor_label="citizen", actor_role="citizen", action="submit",
                           from_state="", to_state=State.SUBMITTED, public=True, data={"channel": "web"})),
        (ReportEvent, dict(at=now, actor=user, action="note", data={})),
        (Message, dict(kind="report_acknowledged", subject="S", body="B", channel=Channel.EMAIL,
                       address="b@example.org", created_at=now, next_attempt_at=now, data={"a": 1})),
        (Message, dict(kind="k", channel=Channel.INBOX, user=user, sent_at=now)),
        (Category, dict(code="new-cat", name_vi="Thử")),
    ]
    for model, values in cases:
        built, constructed = fastinsert.new(model, **values), model(**values)
        assert type(built) is model
        assert _state(built) == _state(constructed), model.__name__
    # A callable default is called for each instance, not shared (a new code, a new dict).
    first, second = fastinsert.new(Report), fastinsert.new(Report)
    assert first.code != second.code
    m1, m2 = fastinsert.new(Message, kind="k"), fastinsert.new(Message, kind="k")
    assert m1.data == m2.data == {} and m1.data is not m2.data
    with pytest.raises(TypeError):
        fastinsert.new(Report, no_such_field=1)
    with pytest.raises(ValueError):  # the descriptor's type check, as in the constructor
        fastinsert.new(Report, category=user)


def test_new_uses_the_constructor_for_a_model_with_init_receivers(world):
    from django.db.models.signals import post_init

    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    fastinsert.new(ReportEvent, action="note")  # built once before the receiver connects
    post_init.connect(receiver, sender=ReportEvent, dispatch_uid="test-new-post-init")
    try:
        event = fastinsert.new(ReportEvent, action="note")
    finally:
        post_init.disconnect(dispatch_uid="test-new-post-init", sender=ReportEvent)
    assert seen == [event]
