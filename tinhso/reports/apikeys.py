"""Open311 API keys: created once (the key is shown once), stored only as a SHA-256 hash.

Keys are 32 random bytes (URL-safe base64), so a fast hash is enough: nobody can brute-force
that space, and checking a key stays a single indexed lookup per request.
"""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from tinhso.core.errors import UserError
from tinhso.core.text import nfc
from tinhso.reports.models import ApiClient


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(name: str) -> tuple[ApiClient, str]:
    """Create a client and return it with its key (the only time the key exists in clear)."""
    name = nfc(name)
    if not name:
        raise UserError("name_required", "Cần tên ứng dụng.", "A client name is required.", field="name")
    if ApiClient.objects.filter(name=name).exists():
        raise UserError("client_exists", f"Đã có ứng dụng tên “{name}”.", f"A client named {name!r} exists.",
                        field="name", status=409)
    key = secrets.token_urlsafe(32)
    client = ApiClient.objects.create(name=name, key_prefix=key[:8], key_hash=_hash(key))
    return client, key


def authenticate(key: str | None) -> ApiClient | None:
    """The active client with this key, or ``None``."""
    if not key:
        return None
    client = ApiClient.objects.filter(key_hash=_hash(key.strip()), active=True).first()
    if client is not None and (client.last_used_at is None
                               or (timezone.now() - client.last_used_at).total_seconds() > 300):
        # Updated at most every five minutes: no write on every request of a busy client.
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
    return client
