"""Who is told what about a report, read from a real SMTP server on 127.0.0.1 after the worker ran.

The citizen (with an e-mail) gets the acknowledgement with the private link and every public
state change; the unit's handlers get assignments without the reporter's identity; supervisors
get near-due and overdue notices once; a lost private link is recovered by e-mail.
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import transaction

from tests.loopback_smtp import SmtpServer
from tests.reports.conftest import actor, local, png_bytes
from tinhso.notify import worker
from tinhso.notify.models import Message
from tinhso.reports import citizen_secret, handling, intake, sla, triage, workflow
from tinhso.reports.models import Report, ReportEvent

LINK_RE = re.compile(r"https?://\S+/phan-anh/(PA-[0-9A-Z]{5}-[0-9A-Z]{5})\?k=([0-9A-Z-]+)")
REPORTER = {"reporter_name": "Trần Thị Dân", "reporter_phone": "0909 123 456", "reporter_email": "dan@example.org"}


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        settings.NOTIFY_EMAIL_URL = server.url
        settings.SITE_URL = "https://ioc.example.vn"
        yield server


def submit(w, category="traffic", now=None, **contact):
    return intake.submit_report(category=category, description="Ổ gà lớn trước trường học", lat=w.phan_thiet.lat,
                                lon=w.phan_thiet.lon, now=now, **contact)


def mails_to(server: SmtpServer, address: str) -> list:
    return [m for m in server.messages if m["To"] == address]


def test_citizen_loop_by_email(world, smtp):
    submission = submit(world, **REPORTER)
    report = submission.report
    worker.run_once()
    [ack] = mails_to(smtp, "dan@example.org")
    assert report.code in smtp.subject(ack)
    body = smtp.text(ack)
    code, secret = LINK_RE.search(body).groups()
    assert code == report.code and citizen_secret.matches(report, secret)
    assert body.index("Cảm ơn") < body.index("Thank you")  # Vietnamese first, English below
    assert "https://ioc.example.vn/phan-anh/" in body
    # The outbox no longer holds the private link once it was sent.
    assert secret not in Message.objects.get(kind="report_acknowledged").body

    op, handler = actor(world.users["op"]), actor(world.users["h_pt"])
    triage.verify(report, op, forward_now=False)
    triage.forward(report, op, unit_code=world.pt.code)
    handling.accept(report, handler)
    handling.request_info(report, handler, question="Ổ gà ở phía bên nào của đường?")
    handling.provide_info(report, citizen_secret.holder(report, secret), answer="Bên trái, gần cổng trường.")
    handling.resolve(report, handler, result_text="Đã vá ổ gà bằng bê tông nhựa.", photos=[png_bytes()])
    worker.run_once()
    subjects = [smtp.subject(m) for m in mails_to(smtp, "dan@example.org")]
    assert len(subjects) == 5, subjects  # ack, forwarded, accepted, question, resolved (verify is internal)
    assert "chuyển xử lý" in subjects[1] and "tiếp nhận" in subjects[2]
    question, resolved = mails_to(smtp, "dan@example.org")[3:]
    assert "Ổ gà ở phía bên nào của đường?" in smtp.text(question)
    assert "Đã vá ổ gà bằng bê tông nhựa." in smtp.text(resolved)
    assert f"https://ioc.example.vn/phan-anh/{report.code}" in smtp.text(resolved)

    # The handler: the assignment and the citizen's answer, in the inbox and by e-mail, never who sent it.
    to_handler = mails_to(smtp, "h_pt@example.org")
    assert [smtp.subject(m).split("] ")[1] for m in to_handler] == [
        "Phản ánh mới giao cho đơn vị / New report for your unit",
        "Người dân đã bổ sung thông tin / The citizen answered"]
    inbox = Message.objects.filter(user=world.users["h_pt"], channel="inbox")
    assert sorted(inbox.values_list("kind", flat=True)) == ["report_assigned", "report_info_provided"]
    for text in [smtp.text(m) for m in to_handler] + list(inbox.values_list("body", flat=True)):
        assert f"/don-vi/phan-anh/{report.code}" in text
        for private in REPORTER.values():
            assert private not in text
    assert not mails_to(smtp, "h_mn@example.org")  # another unit hears nothing


def test_no_email_no_citizen_message_and_auto_forward_tells_the_unit(world, smtp):
    world.pt.email = "vanthu.phanthiet@example.gov.vn"  # the unit's own mailbox
    world.pt.save()
    report = submit(world, category="environment").report  # auto-forwarded to UBND Phan Thiết
    assert report.handling_unit == world.pt
    assert not Message.objects.filter(address__contains="dan@").exists()
    worker.run_once()
    assert sorted(m["To"] for m in smtp.messages) == ["h_pt@example.org", "vanthu.phanthiet@example.gov.vn"]
    assert Message.objects.filter(kind="report_assigned", user=world.users["h_pt"], channel="inbox").exists()


def test_auto_forward_tells_each_active_handler_of_the_unit_by_their_preference(world, smtp):
    from django.contrib.auth import get_user_model

    from tinhso.notify.models import Preference
    from tinhso.reports.models import Membership, Role

    users = get_user_model().objects
    inbox_only = users.create_user("h_pt_inbox", email="inbox@example.org")
    Membership.objects.create(user=inbox_only, role=Role.HANDLER, unit=world.pt)
    Preference.objects.create(user=inbox_only, mode="inbox")
    email_only = users.create_user("h_pt_email", email="email@example.org")
    Membership.objects.create(user=email_only, role=Role.HANDLER, unit=world.pt)
    Preference.objects.create(user=email_only, mode="email")
    left = users.create_user("h_pt_left", email="left@example.org")
    Membership.objects.create(user=left, role=Role.HANDLER, unit=world.pt, active=False)
    gone = users.create_user("h_pt_gone", email="gone@example.org", is_active=False)
    Membership.objects.create(user=gone, role=Role.HANDLER, unit=world.pt)
    elsewhere = users.create_user("h_mn_2", email="mn2@example.org")
    Membership.objects.create(user=elsewhere, role=Role.HANDLER, unit=world.mn)
    supervisor = world.users["sup_pt"]  # same unit, another role

    report = submit(world, category="environment").report  # auto-forwarded to UBND Phan Thiết
    assert report.handling_unit == world.pt
    told = set(Message.objects.filter(kind="report_assigned").values_list("user__username", "channel"))
    assert told == {("h_pt", "inbox"), ("h_pt", "email"), ("h_pt_inbox", "inbox"), ("h_pt_email", "email")}
    assert supervisor.username not in {name for name, _ in told}


def test_rolled_back_transition_tells_nobody(world, smtp):
    report = submit(world, **REPORTER).report
    before = Message.objects.count()

    def boom(report, event):
        raise RuntimeError("a later step of the same change failed")

    workflow.AFTER_TRANSITION.append(boom)
    try:
        with pytest.raises(RuntimeError):
            triage.verify(report, actor(world.users["op"]), forward_now=False)
            triage.forward(report, actor(world.users["op"]), unit_code=world.pt.code)
    finally:
        workflow.AFTER_TRANSITION.remove(boom)
    assert Message.objects.count() == before
    assert not ReportEvent.objects.filter(report=report, action="verify").exists()


def test_supervisors_get_near_due_then_overdue_once(world, smtp):
    start = local(2025, 3, 3, 8, 0)
    report = submit(world, category="environment", now=start).report  # accept due Tue 4 Mar 8:30
    first = sla.check_deadlines(now=local(2025, 3, 3, 9, 0))
    assert first["near_due_notifications"] == 0 and first["overdue_notifications"] == 0
    near = sla.check_deadlines(now=local(2025, 3, 3, 16, 45))
    assert near["near_due_notifications"] == 1
    assert sla.check_deadlines(now=local(2025, 3, 3, 16, 50))["near_due_notifications"] == 0
    assert sla.check_deadlines(now=local(2025, 3, 5, 8, 0))["overdue_notifications"] == 1
    worker.run_once()
    subjects = [smtp.subject(m) for m in mails_to(smtp, "sup_pt@example.org")]
    assert subjects == [f"[{report.code}] Sắp đến hạn tiếp nhận / Nearly due for acceptance",
                        f"[{report.code}] Quá hạn tiếp nhận / Overdue for acceptance"]
    assert "08:30 04/03/2025" in smtp.text(mails_to(smtp, "sup_pt@example.org")[1])


def test_recover_private_link_by_email(world, smtp, client):
    cache.clear()
    report = submit(world, **REPORTER).report
    old_secret = LINK_RE.search(Message.objects.get(kind="report_acknowledged").body).group(2)
    response = client.post("/phan-anh/tra-cuu", {"code": report.code.lower(), "email": "DAN@example.org"})
    assert response.status_code == 302
    answer_match = client.get(response["Location"]).content.decode()
    wrong = client.post("/phan-anh/tra-cuu", {"code": report.code, "email": "someone@example.org"})
    answer_wrong = client.get(wrong["Location"]).content.decode()
    hint = "Nếu mã phản ánh và địa chỉ email khớp"
    assert hint in answer_match and hint in answer_wrong  # the same answer either way
    worker.run_once()
    [recovered] = [m for m in mails_to(smtp, "dan@example.org") if "Đường dẫn riêng mới" in smtp.subject(m)]
    assert not mails_to(smtp, "someone@example.org")
    code, new_secret = LINK_RE.search(smtp.text(recovered)).groups()
    report.refresh_from_db()
    assert code == report.code and citizen_secret.matches(report, new_secret)
    assert not citizen_secret.matches(report, old_secret)  # the old link stops working
    assert client.get(f"/phan-anh/{report.code}?k={new_secret}").status_code == 200
    assert ReportEvent.objects.filter(report=report, action="reissue_secret", public=False).exists()


def test_recovery_is_rate_limited_per_code(world, smtp, client):
    cache.clear()
    report = submit(world, **REPORTER).report
    statuses = [client.post("/phan-anh/tra-cuu", {"code": report.code, "email": "dan@example.org"}).status_code
                for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert Message.objects.filter(kind="report_link_recovered").count() == 2


def test_recover_without_email_on_file_sends_nothing(world, smtp):
    report = submit(world).report
    assert not citizen_secret.recover(report.code, "dan@example.org")
    assert not citizen_secret.recover("PA-00000-00000", "dan@example.org")
    assert Report.objects.get(pk=report.pk).citizen_secret_hash == report.citizen_secret_hash
    with transaction.atomic():
        assert not Message.objects.filter(kind="report_link_recovered").exists()


def test_citizen_reopen_request_tells_the_ioc_the_unit_the_citizen_and_webhooks(world, client):
    """A reopen request (``mo-lai``) is not silent: the operators and the unit whose result it was
    get it in their inbox, the citizen a confirmation, connected systems the public change."""
    from tests.reports.factories import give_secret, make_report
    from tinhso.notify.models import Channel, WebhookEndpoint
    from tinhso.reports.models import State

    WebhookEndpoint.objects.create(name="sms", url="https://hooks.example.org/a", secret="s")
    report = make_report(world, State.RESOLVED, result_text="Đã vá", reporter_email="dan@example.org")
    key = give_secret(report)
    assert client.post(f"/phan-anh/{report.code}/danh-gia", {"rating": "1", "k": key}).status_code == 302
    before = set(Message.objects.values_list("pk", flat=True))
    done = client.post(f"/phan-anh/{report.code}/mo-lai", {"comment": "Ổ gà vẫn còn", "k": key})
    assert done.status_code == 302
    new = Message.objects.exclude(pk__in=before)
    staff = new.filter(kind="report_reopen_requested", channel=Channel.INBOX)
    assert {m.user.username for m in staff} == {"op", "h_pt"}
    for message in staff:
        assert "Ổ gà vẫn còn" in message.body and "1/5" in message.body
        assert "dan@example.org" not in message.body
    assert staff.get(user__username="op").ref_url.endswith(f"/ioc/phan-anh/{report.code}")
    assert staff.get(user__username="h_pt").ref_url.endswith(f"/don-vi/phan-anh/{report.code}")
    [mail] = new.filter(channel=Channel.EMAIL, address="dan@example.org")
    assert mail.kind == "report_reopened" and "Ổ gà vẫn còn" in mail.body
    [hook] = new.filter(channel=Channel.WEBHOOK)
    assert hook.kind == "report_reopened" and "dan@example.org" not in hook.body + str(hook.data)


def test_worker_periodic_pass_sends_the_overdue_notice_once(world, smtp, monkeypatch):
    """Nobody runs ``check-deadlines`` by cron: the worker ``tinhso serve`` starts runs it (a periodic
    job the reports app registers), and its next passes, or a second server process's, repeat nothing."""
    import datetime as dt

    from django.utils import timezone

    from tinhso.notify import periodic

    job = periodic.JOBS["reports-check-deadlines"]
    assert job.func is sla.check_deadlines and job.every == sla.CHECK_EVERY_S
    monkeypatch.setattr(periodic, "JOBS", {job.name: job})  # only this app's job (the others are theirs)
    monkeypatch.setattr(job, "next_at", job.next_at)
    report = submit(world, category="environment", now=timezone.now() - dt.timedelta(days=30)).report
    assert Report.objects.filter(sla.overdue_q(timezone.now()), pk=report.pk).exists()
    assert periodic.run_due(clock=lambda: job.next_at - 1) == []  # not before its interval
    assert not Message.objects.filter(kind="report_overdue").exists()
    for _round in range(3):  # three worker rounds, each after the job's interval
        assert periodic.run_due(clock=lambda: job.next_at + 1) == [job.name]
        worker.run_once()
    overdue = [m for m in mails_to(smtp, "sup_pt@example.org") if "Quá hạn" in smtp.subject(m)]
    assert len(overdue) == 1 and report.code in smtp.subject(overdue[0])
    assert Message.objects.filter(kind="report_overdue", user__username="sup_pt", channel="inbox").count() == 1
