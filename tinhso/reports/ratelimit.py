"""Per-client-IP rate limits for the public endpoints (submit, track, rate, login, stats, list, recover), counted by
:mod:`tinhso.core.ratelimit` (one-minute windows).
Limits come from the ``REPORTS_RATE_LIMITS`` setting or ``TINHSO_RATE_<SCOPE>`` variables (:data:`DEFAULT_LIMITS` requests per minute by default; ``login``
counts sign-in attempts on the staff and admin login pages, ``recover`` requests for a new private
link, which are also limited to :data:`RECOVER_PER_CODE` per tracking code); 0 disables one.
The client's address is :func:`tinhso.core.clientaddr.client_ip` (``REMOTE_ADDR``, or what a
trusted reverse proxy says: ``TINHSO_TRUSTED_PROXIES``). Counters are shared by every server
process (the database cache, or Redis).
"""

from __future__ import annotations

import os
from functools import wraps

from django.conf import settings
from django.http import HttpResponse

from tinhso.core import clientaddr, ratelimit
from tinhso.core.errors import UserError

# "stats": the statistics page and API; "list": the public list and map (see public_cache).
DEFAULT_LIMITS = {"submit": 20, "track": 120, "rate": 20, "login": 10, "stats": 30, "list": 60,
                  "recover": 5}
# Private-link recovery e-mails per tracking code per minute, whatever the client IP.
RECOVER_PER_CODE = 2


def client_ip(request) -> str:
    return clientaddr.client_ip(request)


def limit_for(scope: str) -> int:
    """Requests per minute for ``scope``: ``REPORTS_RATE_LIMITS``, else ``TINHSO_RATE_<SCOPE>`` (e.g.
    ``TINHSO_RATE_LOGIN``), else :data:`DEFAULT_LIMITS`."""
    configured = getattr(settings, "REPORTS_RATE_LIMITS", None) or {}
    if scope in configured:
        return int(configured[scope])
    env = os.environ.get(f"TINHSO_RATE_{scope.upper()}")
    return int(env) if env not in (None, "") else DEFAULT_LIMITS.get(scope, 0)


def check(request, scope: str) -> None:
    ratelimit.hit(f"reports:{scope}:ip:{client_ip(request)}", limit_for(scope), details={"scope": scope})


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
