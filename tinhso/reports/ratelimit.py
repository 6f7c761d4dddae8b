"""Per-client-IP rate limits for the public endpoints (submit, track, rate), on Django's cache.

A fixed one-minute window per (scope, IP). With the default ``LocMemCache`` the counters live in
each worker process, so the effective limit is ``limit × workers``; configure a shared cache
(Redis, database) for an exact limit. Limits come from the ``REPORTS_RATE_LIMITS`` setting
(``{"submit": 20, "track": 120, "rate": 20, "login": 10}`` requests per minute by default; ``login``
counts sign-in attempts on the staff and admin login pages); 0 disables one.
The client IP is ``REMOTE_ADDR`` (the reverse proxy in front must set it; we do not trust
``X-Forwarded-For`` blindly).
"""

from __future__ import annotations

import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

from tinhso.core.errors import UserError

DEFAULT_LIMITS = {"submit": 20, "track": 120, "rate": 20, "login": 10}


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def check(request, scope: str) -> None:
    limits = {**DEFAULT_LIMITS, **getattr(settings, "REPORTS_RATE_LIMITS", {})}
    limit = limits.get(scope, 0)
    if not limit:
        return
    window = int(time.time() // 60)
    key = f"reports-rl:{scope}:{client_ip(request)}:{window}"
    if cache.add(key, 1, timeout=70):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=70)
            count = 1
    if count > limit:
        raise UserError("rate_limited", "Quá nhiều yêu cầu, vui lòng thử lại sau một phút.",
                        "Too many requests; try again in a minute.", status=429,
                        details={"limit_per_minute": limit, "scope": scope})


def limit_posts(scope: str, view):
    """Wrap a view so that its POSTs count against ``scope`` (e.g. password guessing on login pages)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST":
            try:
                check(request, scope)
            except UserError as err:
                return HttpResponse(f"{err.message_vi}\n{err.message_en}\n", status=err.status,
                                    content_type="text/plain; charset=utf-8")
        return view(request, *args, **kwargs)

    return wrapped
