"""The state machine: every allowed transition works and is recorded; everything else is refused."""

import pytest

from tests.reports.conftest import actor
from tests.reports.factories import make_report, submitter
from tinhso.core.errors import UserError
from tinhso.core.history import AppendOnlyError
from tinhso.reports import workflow
from tinhso.reports.models import ReportEvent, State
from tinhso.reports.permissions import CITIZEN, HANDLER, OPERATOR, SUPERVISOR, SYSTEM, citizen, system

CASES = [(t, s) for t in workflow.TRANSITIONS for s in sorted(t.sources)]


def actor_for_role(w, role, report):
    return {OPERATOR: lambda: actor(w.users["op"]), HANDLER: lambda: actor(w.users["h_pt"]),
            SUPERVISOR: lambda: actor(w.users["sup_pt"]), CITIZEN: lambda: submitter(report),
            SYSTEM: system}[role]()


def test_table_is_consistent():
    assert len(workflow.BY_ACTION) == len(workflow.TRANSITIONS)
    for t in workflow.TRANSITIONS:
        assert t.sources <= set(State.values)
        assert t.target is None or t.target in State.values
        assert t.roles and t.label_vi and t.label_en
    # every state can be reached, and only terminal-ish states have no way out
    reachable = {t.target for t in workflow.TRANSITIONS if t.target} | {State.SUBMITTED}
    assert reachable == set(State.values)
    leaves = {s for s in State.values if not any(s in t.sources for t in workflow.TRANSITIONS)}
    assert leaves == {State.MERGED}


@pytest.mark.parametrize("transition,source", CASES, ids=[f"{t.action}-{s}" for t, s in CASES])
def test_every_allowed_transition(world, transition, source):
    for role in sorted(transition.roles):
        unit = world.pt if source not in (State.SUBMITTED, State.VERIFIED, State.RETURNED_TO_IOC,
                                          State.REOPENED) else None
        report = make_report(world, source, unit=unit)
        who = actor_for_role(world, role, report)
        before = ReportEvent.objects.filter(report=report).count()
        changes = {"handling_unit": world.pt} if transition.target == State.ASSIGNED else None
        event = workflow.transition(report, transition.action, who, note="ghi chú", changes=changes)
        report.refresh_from_db()
        assert report.state == (transition.target or source)
        assert report.is_open == (report.state not in (State.RESOLVED, State.CLOSED, State.REJECTED,
                                                         State.MERGED))
        assert ReportEvent.objects.filter(report=report).count() == before + 1
        assert (event.action, event.from_state, event.to_state) == (transition.action, source, report.state)
        assert event.actor_role == role and event.note == "ghi chú"


ILLEGAL = [(t, s) for t in workflow.TRANSITIONS for s in State.values if s not in t.sources]


@pytest.mark.parametrize("transition,source", ILLEGAL, ids=[f"{t.action}-{s}" for t, s in ILLEGAL])
def test_illegal_transitions_are_409(world, transition, source):
    report = make_report(world, source, unit=world.pt)
    who = actor_for_role(world, sorted(transition.roles)[0], report)
    with pytest.raises(UserError) as err:
        workflow.transition(report, transition.action, who, note="x")
    assert err.value.status == 409 and err.value.code == "illegal_transition"
    report.refresh_from_db()
    assert report.state == source
    assert not ReportEvent.objects.filter(report=report).exists()


def test_wrong_role_is_403_and_note_required(world):
    report = make_report(world, State.SUBMITTED)
    with pytest.raises(UserError) as err:
        workflow.transition(report, "verify", citizen())
    assert err.value.status == 403
    with pytest.raises(UserError) as err:
        workflow.transition(report, "reject", actor(world.users["op"]))
    assert err.value.code == "note_required"
    assert report.events.count() == 0


def test_other_units_handler_gets_404(world):
    report = make_report(world, State.ASSIGNED, unit=world.pt)
    with pytest.raises(UserError) as err:
        workflow.transition(report, "accept", actor(world.users["h_mn"]))
    assert err.value.status == 404
    assert workflow.allowed_actions(report, actor(world.users["h_mn"])) == []
    assert "accept" in workflow.allowed_actions(report, actor(world.users["h_pt"]))


def test_history_is_append_only(world):
    report = make_report(world, State.SUBMITTED)
    event = workflow.transition(report, "verify", actor(world.users["op"]))
    event.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert ReportEvent.objects.get(pk=event.pk).note == ""


def test_open311_status_mapping():
    assert workflow.open311_status(State.IN_PROGRESS) == "open"
    assert workflow.open311_status(State.REOPENED) == "open"
    for s in (State.RESOLVED, State.CLOSED, State.REJECTED, State.MERGED):
        assert workflow.open311_status(s) == "closed"
