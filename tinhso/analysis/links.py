"""Where a report's evidence links lead, for whoever reads it.

The detectors store a record's link as ``/ioc/phan-anh/<code>`` (the IOC's page of the report) and
list links as site paths. Read on the site, links stay relative (the site may be served anywhere) and
each record leads to the page this reader may open: the IOC's (operators), the units' (handlers,
supervisors and leaders: a province-wide leader opens any report there, a unit's staff their unit's
reports), else the public page of a published report; a record the reader may open nowhere is named
without a link. In the downloadable files (and e-mail) links are absolute (``settings.SITE_URL``) and
a record leads to the units' page, the one the report's readers (leaders) may open.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings

RECORD_RE = re.compile(r"^/ioc/phan-anh/([A-Za-z0-9-]+)$")
IOC_RECORDS = "/ioc/phan-anh"
UNIT_RECORDS = "/don-vi/phan-anh"
PUBLIC_RECORDS = "/phan-anh/cong-khai"

LinkFn = Callable[[str], "str | None"]


def record_code(url: str) -> str | None:
    m = RECORD_RE.match(url)
    return m.group(1) if m else None


def record_codes(data: dict) -> list[str]:
    codes = {record_code(link["url"]) for f in data.get("findings") or [] for link in f.get("links") or []}
    return sorted(c for c in codes if c)


def for_files(url: str) -> str:
    """A link in the downloadable files and e-mail: absolute, records on the units' page."""
    code = record_code(url)
    if code:
        url = f"{UNIT_RECORDS}/{code}"
    return url if url.startswith(("http://", "https://")) else f"{settings.SITE_URL}{url}"


def records_for(user, codes: list[str]) -> dict[str, str]:
    """{record code: the page of it ``user`` may open} (codes the user may open nowhere are left out)."""
    if not codes:
        return {}
    from tinhso.reports.models import Report
    from tinhso.reports.permissions import (
        HANDLER,
        LEADER,
        OPERATOR,
        SUPERVISOR,
        actor_for_user,
        visible_reports,
    )
    from tinhso.reports.queries import public_q

    actor = actor_for_user(user)
    out: dict[str, str] = {}
    if OPERATOR in actor.roles:
        base, visible = IOC_RECORDS, visible_reports(actor)
    elif actor.roles & {HANDLER, SUPERVISOR, LEADER}:
        base, visible = UNIT_RECORDS, visible_reports(actor)
    else:
        base, visible = None, None
    if visible is not None:
        out = {c: f"{base}/{c}" for c in visible.filter(code__in=codes).values_list("code", flat=True)}
    rest = [c for c in codes if c not in out]
    if rest:
        for c in Report.objects.filter(public_q(), code__in=rest).values_list("code", flat=True):
            out[c] = f"{PUBLIC_RECORDS}/{c}"
    return out


def for_page(records: dict[str, str]) -> LinkFn:
    """A link on the site's page: relative; a record to the reader's page of it (None: no link)."""
    def link(url: str) -> str | None:
        code = record_code(url)
        return records.get(code) if code else url
    return link
