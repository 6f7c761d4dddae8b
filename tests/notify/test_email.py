"""E-mail through TINHSO_EMAIL_URL to a real SMTP server on 127.0.0.1; retries with back-off."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.loopback_smtp import free_port
from tinhso import notify
from tinhso.core.errors import UserError
from tinhso.notify import email, worker
from tinhso.notify.models import DeliveryAttempt, Message

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://127.0.0.1:2525", ("127.0.0.1", 2525, "", "", False, False)),
    ("smtp://mail.local", ("mail.local", 25, "", "", False, False)),
    ("smtp+starttls://user%40x:p%3Ass@host:587", ("host", 587, "user@x", "p:ss", True, False)),
    ("smtp+starttls://u:p@host", ("host", 587, "u", "p", True, False)),
    ("smtps://u:p@host:465", ("host", 465, "u", "p", False, True)),
])
def test_parse_email_url(url, expected):
    c = email.parse_url(url)
    assert (c.host, c.port, c.username, c.password, c.use_tls, c.use_ssl) == expected


@pytest.mark.parametrize("url", ["http://host", "smtp://", "smtp://host:notaport", "smtp://h?timeout=x"])
def test_bad_email_url_is_a_user_error(url):
    with pytest.raises(UserError) as err:
        email.parse_url(url)
    assert err.value.code == "bad_email_url"


def test_worker_delivers_to_real_smtp_server(smtp):
    notify.send("report_acknowledged", subject="[PA-1] Đã nhận / Received", body="Đường dẫn: http://x/phan-anh/PA-1?k=S",
                emails=["dan@example.org"], sensitive=True)
    result = worker.run_once()
    assert result == {"sent": 1, "failed_tries": 0}
    [mail] = smtp.messages
    assert mail["To"] == "dan@example.org" and mail["Subject"] == "[PA-1] Đã nhận / Received"
    assert "ioc@example.org" in mail["From"]
    assert "http://x/phan-anh/PA-1?k=S" in smtp.text(mail)
    message = Message.objects.get()
    assert message.state == "sent" and message.attempts == 1 and message.sent_at
    assert "?k=S" not in message.body  # a sensitive body is erased once sent
    assert DeliveryAttempt.objects.get().ok
    assert worker.run_once() == {"sent": 0, "failed_tries": 0}  # nothing sent twice


def test_unset_email_url_keeps_mail_pending(settings):
    settings.NOTIFY_EMAIL_URL = ""
    notify.send("k", subject="s", body="b", emails=["a@example.org"])
    assert worker.run_once() == {"sent": 0, "failed_tries": 0}
    message = Message.objects.get()
    assert message.state == "pending" and message.attempts == 0


def test_unreachable_server_retries_with_backoff_then_fails(settings):
    settings.NOTIFY_EMAIL_URL = f"smtp://127.0.0.1:{free_port()}?timeout=2"  # nothing listens there
    start = timezone.now()
    notify.send("k", subject="s", body="b", emails=["a@example.org"], now=start)
    now = start
    waits = []
    for _ in range(worker.MAX_ATTEMPTS):
        assert worker.run_once(now=now) == {"sent": 0, "failed_tries": 1}
        message = Message.objects.get()
        if message.state == "pending":
            waits.append(message.next_attempt_at - now)
            assert worker.run_once(now=message.next_attempt_at - dt.timedelta(seconds=1))["failed_tries"] == 0
            now = message.next_attempt_at
    assert waits == list(worker.BACKOFF)
    message = Message.objects.get()
    assert message.state == "failed" and message.attempts == worker.MAX_ATTEMPTS
    assert "Connection refused" in message.last_error or "Errno" in message.last_error
    assert DeliveryAttempt.objects.filter(ok=False).count() == worker.MAX_ATTEMPTS
    # "Retry now" (admin action) makes it due again and starts the back-off over.
    assert worker.retry_now([message.pk], now=now) == 1
    message.refresh_from_db()
    assert message.state == "pending" and message.attempts == 0 and message.next_attempt_at == now


def test_retry_after_failure_reaches_the_server_once_it_is_up(settings):
    port = free_port()
    settings.NOTIFY_EMAIL_URL = f"smtp://127.0.0.1:{port}?timeout=2"
    start = timezone.now()
    notify.send("k", subject="later", body="b", emails=["a@example.org"], now=start)
    assert worker.run_once(now=start)["failed_tries"] == 1
    from tests.loopback_smtp import SmtpServer

    with SmtpServer(port) as server:
        assert worker.run_once(now=start + worker.BACKOFF[0])["sent"] == 1
    assert [m["Subject"] for m in server.messages] == ["later"]
    assert Message.objects.get().attempts == 2


def test_claimed_rows_are_not_taken_twice(smtp):
    now = timezone.now()
    for i in range(3):
        notify.send("k", subject=f"s{i}", body="b", emails=[f"a{i}@example.org"], now=now)
    first = worker.claim(now)
    assert len(first) == 3
    assert worker.claim(now) == []  # another worker finds them leased
    assert len(worker.claim(now + worker.LEASE)) == 3  # a dead worker's lease runs out
