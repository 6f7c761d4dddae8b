"""Outbound webhooks: a signed JSON POST per message to each matching :class:`WebhookEndpoint`.

Request::

    POST <endpoint url>
    Content-Type: application/json
    X-Tinhso-Timestamp: 1764626400                      (Unix seconds when it was signed)
    X-Tinhso-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>
    X-Tinhso-Message: <message id>                      (the same on every retry: de-duplicate on it)

    {"id": 42, "kind": "report_resolved", "subject": "...", "body": "...",
     "ref": {"app": "reports", "code": "PA-...", "url": "https://..."}, "data": {...},
     "created_at": "2026-12-01T22:00:00+00:00"}

The receiver recomputes the HMAC over ``timestamp + "." + raw body`` with the shared secret,
compares in constant time and refuses a timestamp older than a few minutes (replay). A 2xx answer
is success; anything else (or no answer within :data:`DEADLINE_SECONDS`) is retried with back-off.

Requests go through :func:`tinhso.core.safe_fetch.fetch`: private, loopback and link-local targets
are refused unless their network is listed in ``TINHSO_WEBHOOK_ALLOW_NETWORKS``
(``settings.NOTIFY_WEBHOOK_ALLOW_NETWORKS``, comma-separated CIDRs) — the only way to reach an
internal system. Redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import time

from django.conf import settings

from tinhso.core import safe_fetch

DEADLINE_SECONDS = 10.0
MAX_RESPONSE_BYTES = 64 * 1024
OK_STATUSES = tuple(range(200, 300))


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    raw = getattr(settings, "NOTIFY_WEBHOOK_ALLOW_NETWORKS", "") or ""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    return [ipaddress.ip_network(item.strip(), strict=False) for item in items if str(item).strip()]


def address_policy(networks=None) -> safe_fetch.Policy:
    """Public addresses, plus the administrator's explicitly allowed networks."""
    networks = allowed_networks() if networks is None else networks

    def allow(ip, port: int) -> bool:
        return safe_fetch.public_address(ip, port) or any(ip in net for net in networks
                                                          if net.version == ip.version)

    return allow


def payload(message) -> bytes:
    doc = {"id": message.pk, "kind": message.kind, "subject": message.subject, "body": message.body,
           "ref": {"app": message.ref_app, "code": message.ref_code, "url": message.ref_url},
           "data": message.data or {}, "created_at": message.created_at.isoformat()}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def deliver(message, *, now: float | None = None) -> None:
    """POST the message to its endpoint; :class:`safe_fetch.FetchError` on any failure."""
    endpoint = message.endpoint
    body = payload(message)
    timestamp = str(int(time.time() if now is None else now))
    safe_fetch.fetch(endpoint.url, method="POST", body=body, max_bytes=MAX_RESPONSE_BYTES,
                     deadline=DEADLINE_SECONDS, max_redirects=0, ok_statuses=OK_STATUSES,
                     allow=address_policy(), user_agent="tinhso-webhook",
                     headers={"Content-Type": "application/json; charset=utf-8",
                              "X-Tinhso-Timestamp": timestamp,
                              "X-Tinhso-Signature": signature(endpoint.secret, timestamp, body),
                              "X-Tinhso-Message": str(message.pk)})
