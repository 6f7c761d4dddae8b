"""Reporters' contact data is erased after the retention period (or at their request); the report
and its history stay, and every erasure is recorded."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from tests.reports.factories import make_report
from tinhso.cli import main
from tinhso.reports import privacy, retention
from tinhso.reports.models import Report, ReportEvent, State

CONTACT = {"reporter_name": "Trần Thị B", "reporter_phone": "0987654321", "reporter_email": "b@example.org"}


def _finished(world, state, days_ago, **fields):
    when = timezone.now() - dt.timedelta(days=days_ago)
    report = make_report(world, state, now=when, **fields)
    Report.objects.filter(pk=report.pk).update(updated_at=when,
                                               closed_at=when if state == State.CLOSED else None)
    report.refresh_from_db()
    return report


def _contact(report):
    report.refresh_from_db()
    return {name: getattr(report, name) for name in privacy.CONTACT_FIELDS}


def test_purge_erases_contact_data_of_reports_finished_beyond_the_retention(world):
    old_closed = _finished(world, State.CLOSED, 400)
    old_rejected = _finished(world, State.REJECTED, 400)
    recent_closed = _finished(world, State.CLOSED, 100)
    old_but_open = _finished(world, State.IN_PROGRESS, 400)

    summary = retention.purge_contacts()
    assert summary["erased"] == 2 and summary["retention_days"] == 365
    for report in (old_closed, old_rejected):
        assert _contact(report) == dict.fromkeys(privacy.CONTACT_FIELDS, "")
        assert report.description == "Đèn đường hỏng"  # the report itself is kept
        [event] = ReportEvent.objects.filter(report=report, action="erase_contact")
        assert not event.public and event.from_state == event.to_state == report.state
        assert event.data == {"fields": list(privacy.CONTACT_FIELDS), "reason": "retention"}
        assert "0987654321" not in json.dumps(event.data) + event.note
    for report in (recent_closed, old_but_open):
        assert _contact(report) == CONTACT
    assert retention.purge_contacts()["erased"] == 0  # idempotent: nothing more erased or recorded
    assert ReportEvent.objects.filter(action="erase_contact").count() == 2


def test_retention_comes_from_the_setting_or_the_environment(world, settings, monkeypatch):
    report = _finished(world, State.CLOSED, 40)
    monkeypatch.setenv("TINHSO_CONTACT_RETENTION_DAYS", "30")
    assert retention.retention_days() == 30
    settings.REPORTS_CONTACT_RETENTION_DAYS = 60
    assert retention.purge_contacts()["erased"] == 0
    settings.REPORTS_CONTACT_RETENTION_DAYS = None
    assert retention.purge_contacts()["erased"] == 1 and _contact(report)["reporter_phone"] == ""
    monkeypatch.setenv("TINHSO_CONTACT_RETENTION_DAYS", "a year")
    with pytest.raises(Exception, match="retention"):
        retention.retention_days()


def test_data_subject_request_erases_at_once_whatever_the_state(world):
    report = make_report(world, State.IN_PROGRESS)
    assert retention.erase_contact_by_code(report.code.lower(), actor_label="op") == list(privacy.CONTACT_FIELDS)
    assert _contact(report) == dict.fromkeys(privacy.CONTACT_FIELDS, "")
    event = ReportEvent.objects.get(report=report, action="erase_contact")
    assert event.data["reason"] == "request" and event.actor_label == "op"
    assert retention.erase_contact_by_code(report.code) == []  # nothing left: nothing recorded
    assert ReportEvent.objects.filter(report=report, action="erase_contact").count() == 1
    assert privacy.operator_view(report)["reporter_phone"] == ""


def test_commands(world, capsys):
    old = _finished(world, State.CLOSED, 400)
    assert main(["reports", "purge-contacts"]) == 0
    assert json.loads(capsys.readouterr().out)["erased"] == 1
    assert main(["reports", "purge-contacts"]) == 0
    assert json.loads(capsys.readouterr().out)["erased"] == 0
    report = make_report(world, State.SUBMITTED)
    assert main(["reports", "erase-contact", report.code, "--by", "dpo"]) == 0
    assert "reporter_phone" in capsys.readouterr().out and _contact(report)["reporter_email"] == ""
    assert ReportEvent.objects.get(report=report, action="erase_contact").actor_label == "cli:dpo"
    assert main(["reports", "erase-contact", "PA-00000-00000"]) == 2
    assert "PA-00000-00000" in capsys.readouterr().err
    assert main(["reports", "purge-contacts", "--days", "-1"]) == 2
    assert _contact(old)["reporter_name"] == ""


def _outbox_world(world):
    """A finished report's sender (b@example.org) with messages in the outbox, and what must stay."""
    from tinhso import notify
    from tinhso.notify.models import DeliveryAttempt, Message, MessageState
    from tinhso.reports import notices

    old = _finished(world, State.CLOSED, 400)
    notices.secret_recovered(old, "Secr3t-private-xyz")  # waiting: no mail server in the tests
    [waiting] = Message.objects.filter(ref_code=old.code)
    sent = notices._send("report_resolved", old, url="/x", emails=["B@Example.org"], context={"note": ""})[0]  # the address as typed
    error = "SMTPRecipientsRefused: {'B@Example.org': (550, b'mailbox full')}"
    Message.objects.filter(pk=sent.pk).update(state=MessageState.SENT, last_error=error)
    DeliveryAttempt.objects.create(message=sent, at=timezone.now(), ok=False, error=error)
    parent = _finished(world, State.CLOSED, 10, reporter_email="p@example.org")
    followed = notices._send("report_resolved", parent, url="/y", emails=["b@example.org"], context={"note": ""},
                             data={"joined": old.code})[0]  # sent for the report joined to the parent
    # What stays: the same person's other, open report; the parent's own sender; the unit's mailbox.
    other = _finished(world, State.IN_PROGRESS, 5)
    kept = [notices._send("report_accepted", other, url="/z", emails=["b@example.org"], context={"note": ""})[0],
            notices._send("report_resolved", parent, url="/y", emails=["p@example.org"], context={"note": ""})[0],
            notify.send("report_assigned", subject="s", body="b", emails=["unit@example.org"], ref_app="reports",
                        ref_code=old.code)[0]]
    return old, {"waiting": waiting.pk, "sent": sent.pk, "followed": followed.pk}, [m.pk for m in kept]


def _assert_forgotten(erased: dict, kept: list) -> None:
    from tinhso.notify.models import DeliveryAttempt, Message, MessageState
    from tinhso.notify.outbox import ADDRESS_ERASED

    rows = {m.pk: m for m in Message.objects.filter(pk__in=list(erased.values()) + kept)}
    for pk in erased.values():
        message = rows[pk]
        assert message.address == ""
        text = " ".join([message.subject, message.body, message.body_html, message.last_error, json.dumps(message.data)])
        assert "b@example.org" not in text.lower()
    waiting = rows[erased["waiting"]]
    assert waiting.state == MessageState.FAILED and waiting.last_error == ADDRESS_ERASED  # never sent now
    assert "Secr3t-private-xyz" not in waiting.body
    assert rows[erased["sent"]].state == MessageState.SENT
    [attempt] = DeliveryAttempt.objects.filter(message_id=erased["sent"])  # the log keeps its row …
    assert "b@example.org" not in attempt.error.lower() and "550" in attempt.error  # … without the address
    assert [rows[pk].address for pk in kept] == ["b@example.org", "p@example.org", "unit@example.org"]
    assert rows[kept[0]].state == MessageState.PENDING


def test_a_data_subjects_erasure_takes_their_address_out_of_the_outbox(world):
    old, erased, kept = _outbox_world(world)
    assert retention.erase_contact(old) == list(privacy.CONTACT_FIELDS)
    _assert_forgotten(erased, kept)


def test_the_retention_purge_takes_the_addresses_out_of_the_outbox_too(world):
    old, erased, kept = _outbox_world(world)
    summary = retention.purge_contacts()
    assert summary["erased"] == 1 and _contact(old)["reporter_email"] == ""
    _assert_forgotten(erased, kept)


def test_the_ioc_erases_at_a_data_subjects_request_from_the_report_page(world, client, settings):
    """An operator takes the request on the report's IOC page: refused without the confirmation (nothing
    erased), then done, recorded in the history with who did it, in the page's language."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    old, erased, kept = _outbox_world(world)
    client.force_login(world.users["op"])
    page = client.get(f"/ioc/phan-anh/{old.code}").content.decode()
    assert 'id="action-erase_contact"' in page and "0987654321" in page
    url = f"/ioc/phan-anh/{old.code}/thao-tac"
    refused = client.post(url, {"action": "erase_contact"})
    assert refused.status_code == 400
    assert 'data-action="erase_contact" data-field="confirm"' in refused.content.decode()
    assert _contact(old) == CONTACT
    done = client.post(url, {"action": "erase_contact", "confirm": "1"}, follow=True)
    assert done.status_code == 200
    text = done.content.decode()
    assert "Đã xóa thông tin liên hệ của người gửi." in text and "0987654321" not in text
    assert 'id="action-erase_contact"' not in text  # nothing left to erase: no form
    assert 'id="contact-erased"' in text and "theo yêu cầu của người gửi" in text  # not "left none"
    assert _contact(old) == dict.fromkeys(privacy.CONTACT_FIELDS, "")
    _assert_forgotten(erased, kept)
    event = ReportEvent.objects.get(report=old, action="erase_contact")
    assert event.data["reason"] == "request" and event.actor_label == world.users["op"].get_username()
    assert event.actor_role == "operator"
    assert "Đã xóa thông tin liên hệ</strong>" in text  # the history names the action, not its code
    client.cookies["django_language"] = "en"
    english = client.get(f"/ioc/phan-anh/{old.code}").content.decode()
    assert "Contact data erased</strong>" in english and "erase_contact</strong>" not in english
    assert "erased on" in english and "at the reporter's request" in english
    never = make_report(world, State.SUBMITTED, reporter_name="", reporter_phone="", reporter_email="")
    assert 'id="contact-erased"' not in client.get(f"/ioc/phan-anh/{never.code}").content.decode()


def test_only_the_ioc_may_erase_a_reporters_contact(world, client):
    report = make_report(world, State.IN_PROGRESS)
    for name in ("h_pt", "sup_pt"):  # the unit never sees the reporter, and cannot erase them either
        client.force_login(world.users[name])
        assert "action-erase_contact" not in client.get(f"/don-vi/phan-anh/{report.code}").content.decode()
        response = client.post(f"/ioc/phan-anh/{report.code}/thao-tac", {"action": "erase_contact", "confirm": "1"})
        assert response.status_code in (403, 404)
        response = client.post(f"/don-vi/phan-anh/{report.code}/thao-tac", {"action": "erase_contact", "confirm": "1"})
        assert response.status_code == 400
    assert _contact(report) == CONTACT
