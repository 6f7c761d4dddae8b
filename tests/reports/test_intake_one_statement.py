"""PostgreSQL: a submission outside any transaction is written by one statement
(tinhso.core.fastinsert.combined) — the same rows as the transaction of separate INSERTs, all or nothing.

Transactional tests (the one-statement path runs only outside a transaction); pytest-django runs them
last and empties every table after each, hence ``registry_after_flush`` (tests/conftest.py).
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.reports.conftest import actor
from tinhso.core import fastinsert
from tinhso.ioc.models import ReportChange
from tinhso.notify.models import Message
from tinhso.reports import intake, triage
from tinhso.reports.models import Category, Report, ReportEvent

pytestmark = pytest.mark.django_db(transaction=True)


def _submit(w, category: str, *, email: str):
    return intake.submit_report(category=category, description="Ổ gà lớn trước trường học", lat=w.phan_thiet.lat,
                                lon=w.phan_thiet.lon, reporter_email=email, reporter_name="Trần Thị Dân",
                                now=timezone.now())


def _rows(report: Report) -> dict:
    skip = {"id", "code", "citizen_secret_hash", "reporter_email", "created_at", "updated_at", "accept_started_at",
            "accept_due", "expected_at", "assigned_at", "handle_due"}
    events = [{k: v for k, v in e.items() if k not in ("id", "report_id", "at")}
              for e in ReportEvent.objects.filter(report=report).order_by("id").values()]
    messages = sorted((m.kind, m.channel, m.user_id or 0, m.address.split("@")[1] if m.address else "")
                      for m in Message.objects.filter(ref_code=report.code))
    row = Report.objects.filter(pk=report.pk).values()[0]
    return {"report": {k: v for k, v in row.items() if k not in skip}, "events": events, "messages": messages}


@pytest.mark.parametrize("category", ["traffic", "environment"])  # environment is auto-forwarded to a unit
def test_one_statement_writes_what_the_transaction_writes(registry_after_flush, world, category):
    journal = ReportChange.objects.count()
    with CaptureQueriesContext(connection) as queries:
        one = _submit(world, category, email="one@example.org").report
    writes = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SELECT")]
    assert len(writes) == 1 and writes[0].startswith("WITH "), writes  # one statement, no BEGIN/COMMIT
    assert one.pk is not None and not one._state.adding
    assert ReportChange.objects.count() == journal + 1
    with transaction.atomic():  # the caller's transaction: separate INSERTs
        two = _submit(world, category, email="two@example.org").report
    assert ReportChange.objects.count() == journal + 2
    assert _rows(one) == _rows(two)
    assert _rows(one)["messages"], "the acknowledgement (and the unit's notices) are queued"
    if category == "environment":
        assert one.handling_unit_id == world.pt.pk
        assert {m[0] for m in _rows(one)["messages"]} == {"report_acknowledged", "report_assigned"}


def test_the_duplicate_search_runs_in_the_same_statement(registry_after_flush, world):
    from tinhso.reports import duplicates

    first = _submit(world, "traffic", email="a@example.org")
    assert first.duplicates == []  # nothing before it (and not itself: the search sees the table before)
    reports = [first.report] + [_submit(world, "traffic", email=f"{i}@example.org").report for i in range(6)]
    for report in reports[1::2]:  # some of them checked by the IOC: public, so listable
        triage.verify(report, actor(world.users["op"]), forward_now=False)
    with CaptureQueriesContext(connection) as queries:
        last = _submit(world, "traffic", email="b@example.org")
    touching = [q["sql"] for q in queries.captured_queries if "reports_report" in q["sql"]]
    assert len(touching) == 1 and touching[0].startswith("WITH "), [q[:60] for q in touching]  # writes and search
    # the same suggestions as the search run afterwards on its own, nearest first, at most LIMIT
    again = duplicates.find_nearby(last.report)
    assert [r.code for r in last.duplicates] == [r.code for r in duplicates.listable(again)]
    assert 0 < len(last.duplicates) < len(again)  # listed and unlisted ones among the nearest
    assert [(r.pk, r.distance_m) for r in again] == \
        [(r.pk, r.distance_m) for r in duplicates.find_nearby(last.report, now=last.report.created_at)]
    assert len(again) == duplicates.LIMIT and last.report.pk not in {r.pk for r in again}
    assert {r.pk for r in again} <= {r.pk for r in reports}


def test_a_failing_statement_writes_nothing(registry_after_flush, world):
    first = _submit(world, "traffic", email="a@example.org").report
    messages, events, journal = Message.objects.count(), ReportEvent.objects.count(), ReportChange.objects.count()
    copy = Report.objects.get(pk=first.pk)
    copy.pk = None
    copy._state.adding = True
    with pytest.raises(IntegrityError), fastinsert.combined():  # the same tracking code: unique
        fastinsert.insert([copy])
        fastinsert.insert([Message(channel="email", kind="x", address="b@example.org", subject="s", body="b",
                                   created_at=timezone.now(), next_attempt_at=timezone.now())])
    assert (Message.objects.count(), ReportEvent.objects.count(), ReportChange.objects.count()) == \
        (messages, events, journal)


def test_other_writes_are_refused_inside_the_block(registry_after_flush, world):
    queued = Message(channel="email", kind="x", address="b@example.org", subject="s", body="b",
                     created_at=timezone.now(), next_attempt_at=timezone.now())
    with pytest.raises(fastinsert.NotCombinable), fastinsert.combined():
        fastinsert.insert([queued])
        Category.objects.filter(code="traffic").update(name_vi="Không được ghi")
    assert not Message.objects.filter(kind="x").exists()  # the queue is dropped with the error
    assert Category.objects.get(code="traffic").name_vi != "Không được ghi"
    with pytest.raises(fastinsert.NotCombinable), transaction.atomic(), fastinsert.combined():
        pass
