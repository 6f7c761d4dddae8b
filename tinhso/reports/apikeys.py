"""Open311 API keys: created once (the key is shown once), stored only as a SHA-256 hash.

Keys are 32 random bytes (URL-safe base64), so a fast hash is enough: nobody can brute-force
that space, and checking a key stays a single indexed lookup per request.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import connection
from django.utils import timezone

from tinhso.core.errors import UserError
from tinhso.core.rowreader import RowReader, per_vendor
from tinhso.core.text import nfc
from tinhso.reports.models import ApiClient

_read_client = RowReader(ApiClient, [f.attname for f in ApiClient._meta.concrete_fields])


@per_vendor
def _lookup_sql(connection) -> str:
    """The active client with a key hash (the same as ``filter(key_hash=…, active=True)``; the hash is unique)."""
    q = connection.ops.quote_name
    return (f"SELECT {_read_client.columns()} FROM {q(ApiClient._meta.db_table)} "
            f"WHERE {q('key_hash')} = %s AND {q('active')}")


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
    with connection.cursor() as cursor:  # a statement built once: it runs on every API request
        cursor.execute(_lookup_sql(), [_hash(key.strip())])
        row = cursor.fetchone()
    client = _read_client(row) if row is not None else None
    if client is not None and (client.last_used_at is None
                               or (timezone.now() - client.last_used_at).total_seconds() > 300):
        # Updated at most every five minutes: no write on every request of a busy client.
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
    return client
