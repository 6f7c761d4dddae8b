"""Per-address limits on the public open-data doors (pages, downloads, the CKAN API, DCAT), counted
by :mod:`tinhso.core.ratelimit` on the client address from :mod:`tinhso.core.clientaddr`.
``TINHSO_OPENDATA_RATE`` requests per minute per address (default 600; 0 disables)."""

from __future__ import annotations

import os

from tinhso.core import ratelimit
from tinhso.core.clientaddr import client_ip


def per_minute() -> int:
    return int(os.environ.get("TINHSO_OPENDATA_RATE", "600"))


def check(request, door: str) -> None:
    ratelimit.hit(f"opendata:{door}:ip:{client_ip(request)}", per_minute())
