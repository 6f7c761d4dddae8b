"""``Report.expected_at`` (Open311 ``expected_datetime``) is stored, and stays equal to the rule
(``sla.expected_datetime``, computed) through every kind of transition and correction; the data
migration fills existing rows with the same rule."""

import datetime as dt
import importlib

from django.apps import apps

from tests.reports.conftest import actor, local
from tests.reports.factories import make_report, submitter
from tinhso.reports import duplicates, handling, intake, sla, triage, workflow
from tinhso.reports.models import Report, State


def submit(w, now, category="traffic", **kw):
    return intake.submit_report(category=category, description="Cây đổ", lat=w.phan_thiet.lat,
                                lon=w.phan_thiet.lon, now=now, **kw).report


def stored_matches_rule(report: Report) -> dt.datetime | None:
    row = Report.objects.get(pk=report.pk)
    assert row.expected_at == sla.expected_datetime(row, sla.Policy.load()), row.state
    return row.expected_at


def test_expected_at_follows_every_transition(world):
    op, handler = actor(world.users["op"]), actor(world.users["h_pt"])
    monday = local(2026, 11, 16, 9, 0)
    report = submit(world, monday)
    seen = [stored_matches_rule(report)]
    assert seen[0] is not None and seen[0] > report.accept_due  # accept deadline + handle allowance
    triage.correct(report, op, severity="urgent", now=monday + dt.timedelta(minutes=5))
    seen.append(stored_matches_rule(report))
    assert seen[-1] < seen[0]  # urgent: shorter deadlines
    triage.verify(report, op, now=monday + dt.timedelta(minutes=10))
    seen.append(stored_matches_rule(report))
    handling.accept(report, handler, now=monday + dt.timedelta(hours=1))
    seen.append(stored_matches_rule(report))
    assert seen[-1] == Report.objects.get(pk=report.pk).handle_due
    handling.request_info(report, handler, question="Ở đâu?", now=monday + dt.timedelta(hours=2))
    stored_matches_rule(report)
    citizen = submitter(report)
    handling.provide_info(report, citizen, answer="Trước chợ", now=monday + dt.timedelta(days=1))
    seen.append(stored_matches_rule(report))
    assert seen[-1] > seen[-2]  # the waiting time moved the handle deadline
    handling.return_to_ioc(report, handler, reason="Không thuộc thẩm quyền", now=monday + dt.timedelta(days=1, hours=1))
    seen.append(stored_matches_rule(report))
    assert Report.objects.get(pk=report.pk).handle_due is None  # the accept clock restarted
    triage.forward(report, op, now=monday + dt.timedelta(days=1, hours=2))
    stored_matches_rule(report)
    triage.reassign(report, op, unit_code=world.mn.code, reason="Địa bàn khác", now=monday + dt.timedelta(days=2))
    stored_matches_rule(report)

    rejected = submit(world, monday)
    triage.reject(rejected, op, reason="Spam", now=monday + dt.timedelta(minutes=1))
    assert stored_matches_rule(rejected) is None
    workflow.transition(rejected, "reopen", op, note="Nhầm", now=monday + dt.timedelta(hours=1))
    assert stored_matches_rule(rejected) is not None

    child = submit(world, monday)
    duplicates.merge(child, Report.objects.get(pk=report.pk), op, now=monday + dt.timedelta(minutes=2))
    assert stored_matches_rule(child) is None


def test_data_migration_fills_existing_rows_with_the_rule(world):
    monday = local(2026, 11, 16, 9, 0)
    reports = [submit(world, monday), submit(world, monday, category="health"),
               make_report(world, State.IN_PROGRESS), make_report(world, State.REJECTED),
               make_report(world, State.MERGED)]
    expected = {r.pk: Report.objects.get(pk=r.pk).expected_at for r in reports}
    assert sum(v is not None for v in expected.values()) == 3
    Report.objects.update(expected_at=None)  # as the rows were before the migration
    migration = importlib.import_module("tinhso.reports.migrations.0007_expected_at_perfrep")
    migration.fill_expected(apps, None)
    assert {r.pk: r.expected_at for r in Report.objects.filter(pk__in=expected)} == expected
