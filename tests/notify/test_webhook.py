"""Signed webhook POSTs to a real HTTP server on 127.0.0.1, reachable only through the
administrator's TINHSO_WEBHOOK_ALLOW_NETWORKS; failures retried and logged."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from django.utils import timezone

from tinhso import notify
from tinhso.notify import webhook, worker
from tinhso.notify.models import DeliveryAttempt, Message, WebhookEndpoint

pytestmark = pytest.mark.django_db
SECRET = "s3cret-shared"


def verify(headers: dict, body: bytes, secret: str, max_age: int = 300) -> bool:
    """What a receiver does (the example in docs/notify.md)."""
    timestamp = headers["X-Tinhso-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Tinhso-Signature"]) and abs(time.time() - int(timestamp)) <= max_age


def test_signed_post_reaches_an_allowed_internal_server(receiver, settings):
    settings.NOTIFY_WEBHOOK_ALLOW_NETWORKS = "127.0.0.0/8, 10.0.0.0/8"
    WebhookEndpoint.objects.create(name="zalo", url=receiver.url("/hook"), secret=SECRET)
    notify.send("report_resolved", subject="[PA-1] Đã xử lý", body="Kết quả: đã dọn", ref_app="reports",
                ref_code="PA-1", ref_url="https://ioc/phan-anh/PA-1", data={"state": "resolved"})
    assert worker.run_once() == {"sent": 1, "failed_tries": 0}
    [request] = receiver.received
    assert request["path"] == "/hook"
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert verify(request["headers"], request["body"], SECRET)
    assert not verify(request["headers"], request["body"], "wrong secret")
    assert not verify(request["headers"], request["body"] + b" ", SECRET)  # body tampered
    [payload] = receiver.payloads()
    assert payload["kind"] == "report_resolved" and payload["body"] == "Kết quả: đã dọn"
    assert payload["ref"] == {"app": "reports", "code": "PA-1", "url": "https://ioc/phan-anh/PA-1"}
    assert payload["data"] == {"state": "resolved"}
    assert request["headers"]["X-Tinhso-Message"] == str(Message.objects.get().pk)
    assert Message.objects.get().state == "sent"


def test_private_target_refused_without_the_setting(receiver, settings):
    settings.NOTIFY_WEBHOOK_ALLOW_NETWORKS = ""
    WebhookEndpoint.objects.create(name="internal", url=receiver.url(), secret=SECRET)
    notify.send("k", subject="s", body="b")
    assert worker.run_once() == {"sent": 0, "failed_tries": 1}
    assert receiver.received == []  # no connection was made
    message = Message.objects.get()
    assert message.state == "pending" and message.last_error.startswith("refused_address")
    assert DeliveryAttempt.objects.get().error.startswith("refused_address")


def test_allow_list_is_exact(receiver, settings):
    settings.NOTIFY_WEBHOOK_ALLOW_NETWORKS = "10.0.0.0/8"  # not loopback
    WebhookEndpoint.objects.create(name="internal", url=receiver.url(), secret=SECRET)
    notify.send("k", subject="s", body="b")
    assert worker.run_once()["failed_tries"] == 1 and receiver.received == []


def test_error_status_is_retried_with_backoff_and_logged(receiver, settings):
    settings.NOTIFY_WEBHOOK_ALLOW_NETWORKS = "127.0.0.1/32"
    receiver.statuses.extend([500, 503])
    WebhookEndpoint.objects.create(name="dms", url=receiver.url(), secret=SECRET)
    start = timezone.now()
    notify.send("k", subject="s", body="b", now=start)
    assert worker.run_once(now=start)["failed_tries"] == 1
    message = Message.objects.get()
    assert message.last_error == "bad_status: HTTP 500"
    assert message.next_attempt_at == start + worker.BACKOFF[0]
    assert worker.run_once(now=start + worker.BACKOFF[0])["failed_tries"] == 1
    assert worker.run_once(now=start + worker.BACKOFF[0] + worker.BACKOFF[1])["sent"] == 1
    assert [a.ok for a in DeliveryAttempt.objects.order_by("id")] == [False, False, True]
    assert len({r["headers"]["X-Tinhso-Message"] for r in receiver.received}) == 1  # same id on each retry


def test_redirect_is_not_followed(receiver, settings):
    settings.NOTIFY_WEBHOOK_ALLOW_NETWORKS = "127.0.0.1/32"
    receiver.statuses.append(307)
    WebhookEndpoint.objects.create(name="r", url=receiver.url(), secret=SECRET)
    notify.send("k", subject="s", body="b")
    assert worker.run_once()["failed_tries"] == 1
    assert [r["path"] for r in receiver.received] == ["/hook"]  # /elsewhere never asked
    assert Message.objects.get().last_error.startswith("too_many_redirects")


def test_address_policy_keeps_public_default():
    import ipaddress

    allow = webhook.address_policy([ipaddress.ip_network("192.168.5.0/24")])
    assert allow(ipaddress.ip_address("8.8.8.8"), 443)
    assert allow(ipaddress.ip_address("192.168.5.20"), 443)
    assert not allow(ipaddress.ip_address("192.168.6.1"), 443)
    assert not allow(ipaddress.ip_address("169.254.169.254"), 80)
    assert not allow(ipaddress.ip_address("::1"), 80)
