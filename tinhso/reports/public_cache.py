"""A short cache for the expensive public answers: statistics, Open311 lists, the public list and map.

``/phan-anh/thong-ke``, ``/api/v1/reports/stats`` (and ``stats.csv``), Open311 ``GET requests``
(up to 1,000 requests a page), ``/api/v1/reports/public`` and ``public.geojson`` aggregate or read
many rows; measured without a cache they served from ~9 to ~35 requests a second. Each answer is
kept :func:`seconds` (``settings.REPORTS_PUBLIC_CACHE_SECONDS``, default 60; 0 switches the cache
off) in Django's default cache, keyed on the *normalised* query (parsed values, not the raw query
string), so equivalent queries share one entry and a shared cache (database, Redis) serves every
worker. Public figures may thus lag by up to that long. Bad parameters are rejected before the
cache is consulted, so errors are never cached. The same doors are rate-limited per client
(scopes ``stats`` and ``list`` of :mod:`tinhso.reports.ratelimit`, ``list`` of the Open311 limits).

Nothing private is cached: these answers are the same for every caller.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

DEFAULT_SECONDS = 60
PREFIX = "reports:public:"
T = TypeVar("T")


def seconds() -> int:
    return int(getattr(settings, "REPORTS_PUBLIC_CACHE_SECONDS", DEFAULT_SECONDS))


def _plain(value):
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).isoformat()  # the same instant, whatever offset it was given in
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


def key(name: str, *parts) -> str:
    """The cache key of answer ``name`` for the normalised query ``parts`` (JSON-able; datetimes as UTC)."""
    text = json.dumps(parts, sort_keys=True, default=_plain, ensure_ascii=False, separators=(",", ":"))
    return f"{PREFIX}{name}:{hashlib.sha256(text.encode()).hexdigest()}"


def remember(name: str, parts, compute: Callable[[], T]) -> T:
    """The cached value of ``compute()`` for ``(name, parts)``, computed on a miss."""
    ttl = seconds()
    if ttl <= 0:
        return compute()
    cache_key = key(name, *parts)
    value = cache.get(cache_key)
    if value is None:
        value = compute()
        cache.set(cache_key, value, ttl)
    return value
