"""Whose idempotency key is it: the scope a retried submission is looked up in.

A retry with the same key returns the first report *and a citizen secret* (a fresh one, or the one
the web form's session already holds; :mod:`tinhso.reports.intake`), so a scope must be something only that client holds — never its
network address (clients behind one NAT or proxy share it):

- Open311: the API key's client (``client:<id>``, set by :func:`tinhso.reports.intake.submit_report`);
- the native API: a secret the client chose, sent as ``X-Client-Token`` (or the form field
  ``client_token``), at least :data:`MIN_CLIENT_TOKEN` characters — the scope is its SHA-256, so
  the token is never stored; or else the caller's Django session;
- the citizen's web form: the browser's session (created when the form is shown).

When nothing proves the client the scope is :data:`ANONYMOUS`: the key still prevents a second
report, but a retry is refused with a 409 that carries neither the report nor a secret.
"""

from __future__ import annotations

import hashlib

from tinhso.core.errors import UserError

ANONYMOUS = "anon"
MIN_CLIENT_TOKEN = 16
MAX_CLIENT_TOKEN = 200
MAX_KEY = 100
CLIENT_TOKEN_FIELD = "client_token"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def clean_key(key) -> str:
    """The key as sent (spaces around it ignored); 400 beyond :data:`MAX_KEY` characters, never cut."""
    key = str(key or "").strip()
    if len(key) > MAX_KEY:
        raise UserError("idempotency_key_too_long",
                        f"Khóa chống gửi trùng dài {len(key)} ký tự, tối đa {MAX_KEY}.",
                        f"The idempotency key has {len(key)} characters; at most {MAX_KEY} are allowed.",
                        field="idempotency_key", details={"length": len(key), "max": MAX_KEY})
    return key


def scope(prefix: str, *, client_token: str = "", session_key: str | None = None) -> str:
    """``<prefix>:t:<hash>`` for a client token, ``<prefix>:s:<hash>`` for a session, else :data:`ANONYMOUS`."""
    token = str(client_token or "").strip()
    if token:
        if not MIN_CLIENT_TOKEN <= len(token) <= MAX_CLIENT_TOKEN:
            raise UserError("bad_client_token",
                            f"X-Client-Token phải dài từ {MIN_CLIENT_TOKEN} đến {MAX_CLIENT_TOKEN} ký tự "
                            "(một chuỗi ngẫu nhiên do ứng dụng giữ bí mật).",
                            f"X-Client-Token must be {MIN_CLIENT_TOKEN} to {MAX_CLIENT_TOKEN} characters "
                            "(a random string the application keeps secret).", field=CLIENT_TOKEN_FIELD)
        return f"{prefix}:t:{_digest(token)}"
    if session_key:
        return f"{prefix}:s:{_digest(session_key)}"
    return ANONYMOUS


def replay_refused(key: str) -> UserError:
    """A retried key from a client nothing proves: 409, without the report or its secret."""
    return UserError(
        "idempotency_key_used",
        "Khóa chống gửi trùng này đã được dùng cho một phản ánh. Không trả lại phản ánh đó vì không xác định "
        "được bạn là người đã gửi; hãy kiểm tra mã theo dõi đã nhận, hoặc gửi kèm X-Client-Token.",
        "This idempotency key was already used for a report. It is not returned because nothing shows you "
        "sent it; check the tracking code you received, or send an X-Client-Token with your retries.",
        field="idempotency_key", status=409)
