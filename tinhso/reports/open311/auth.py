"""Who may call: API keys for ``POST requests`` and per-minute rate limits.

Keys belong to client applications (:class:`~tinhso.reports.models.ApiClient`), are created by
``tinhso reports create-api-key NAME`` and checked by :func:`tinhso.reports.apikeys.authenticate`
(only a hash is stored). A missing or unknown key is the spec's 403.

Rate limits count requests per minute in the Django cache: ``POST requests`` per API key,
everything else per client IP, and ``GET requests`` (lists) once more in their own, lower
``list`` limit. Limits come from ``settings.OPEN311_RATE_LIMITS``
(``{"post": N, "get": N, "list": N}``) or the ``TINHSO_OPEN311_RATE_POST`` / ``_GET`` / ``_LIST``
environment variables; ``0`` switches a limit off. The cache is shared by every server process.
"""

from __future__ import annotations

import hashlib
import os
import time

from django.conf import settings

from tinhso.core import ratelimit
from tinhso.core.errors import UserError
from tinhso.reports import apikeys

DEFAULT_LIMITS = {"post": 300, "get": 1200, "list": 120}  # per minute; "list": GET requests (up to 1,000 a page)


def clock() -> float:
    """The rate limits' clock (:data:`tinhso.core.ratelimit.clock`; replaceable here too, in tests)."""
    return ratelimit.clock()


KEY_CACHE_SECONDS = 30.0
_known_keys: dict[str, tuple[float, object]] = {}


def require_client(key: str):
    """The active client with this key, else the spec's 403.

    A key found valid is remembered for 30 s in this process (one query less per submission,
    which matters under load): a revoked key stops working within 30 s. Unknown keys are
    never remembered.
    """
    if not key:
        raise UserError("api_key_missing", "Thiếu api_key: cần khóa API để gửi phản ánh.",
                        "api_key was not provided: an API key is required to create a request.",
                        field="api_key", status=403)
    digest = hashlib.sha256(key.strip().encode()).hexdigest()
    now = time.monotonic()
    remembered = _known_keys.get(digest)
    if remembered and now - remembered[0] < KEY_CACHE_SECONDS:
        return remembered[1]
    client = apikeys.authenticate(key)
    if client is not None:
        if len(_known_keys) > 1000:
            _known_keys.clear()
        _known_keys[digest] = (now, client)
    if client is None:
        raise UserError("api_key_invalid", "api_key không hợp lệ hoặc đã bị thu hồi.",
                        "Invalid api_key received (unknown or revoked) -- can't proceed with create_request.",
                        field="api_key", status=403)
    return client


def limit_for(kind: str) -> int:
    configured = getattr(settings, "OPEN311_RATE_LIMITS", None) or {}
    if kind in configured:
        return int(configured[kind])
    env = os.environ.get(f"TINHSO_OPEN311_RATE_{kind.upper()}")
    return int(env) if env not in (None, "") else DEFAULT_LIMITS[kind]


def check_rate(kind: str, who: str) -> None:
    """Count one call of ``who`` (``key:<id>`` or ``ip:<addr>``); 429 past the minute's limit."""
    ratelimit.hit(f"open311:{kind}:{who}", limit_for(kind), now=clock(),
                  field="api_key" if who.startswith("key:") else None)
