"""Fixed-window request counters on Django's cache: the one mechanism behind every rate limit.

A window is one minute; a bucket names who is counted for what (``"reports:submit:ip:1.2.3.4"``,
``"open311:post:key:7"``). The counters live in the shared cache (the database's, or Redis with
``TINHSO_CACHE_URL``), so every server process counts against the same limit: ``cache.add``
starts a window, ``cache.incr`` (atomic in both, see :mod:`tinhso.core.cache`) counts in it.
"""

from __future__ import annotations

import time

from django.core.cache import cache

from tinhso.core.errors import UserError

clock = time.time  # replaceable in tests, so a window does not roll over in the middle of one


def hit(bucket: str, limit: int, *, now: float | None = None, field: str | None = None,
        details: dict | None = None) -> None:
    """Count one request in ``bucket``; raise a 429 :class:`UserError` past ``limit`` per minute.
    A limit of 0 or less disables the bucket."""
    if limit <= 0:
        return
    now = clock() if now is None else now
    name = f"rl:{bucket}:{int(now // 60)}"
    # Count first, start the window only when there is none: in an open window (every request but a
    # minute's first) that is one increment, where add-then-increment also tried an INSERT that failed
    # and, on the database cache, counted the table's rows for culling.
    try:
        count = cache.incr(name)
    except ValueError:  # the minute's first request (or its window just expired); if another request
        # started the window meanwhile, the add fails and this one is counted in it
        count = 1 if cache.add(name, 1, timeout=70) else cache.incr(name)
    if count > limit:
        retry = 60 - int(now % 60)
        raise UserError("rate_limited", f"Quá {limit} yêu cầu mỗi phút; thử lại sau {retry} giây.",
                        f"More than {limit} requests per minute; retry in {retry} s.", field=field,
                        status=429, details={"limit_per_minute": limit, "retry_after": retry, **(details or {})})
