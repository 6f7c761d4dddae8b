"""The Open311 request lists give the same bytes as before the issue-15 rewrite of the reader.

The reference is the reader as it was (``tests/reports/open311_pre15.py``: ``expected_datetime``
computed per row with the deadline rules, timestamps converted and formatted in Python, JSON by the
standard library). The fixture walks reports through every kind of state a list shows (submitted
and not yet public, verified, forwarded, accepted, waiting for information, resolved with photos,
rejected, an urgent category, a refused publication, an English request, a hand-typed note with
characters JSON must escape), on whichever database the suite runs on.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import RequestFactory

from tests.reports import open311_pre15 as before
from tests.reports.conftest import actor, jpeg_with_exif, local
from tinhso.reports import handling, intake, triage
from tinhso.reports.models import Report
from tinhso.reports.open311 import params as p
from tinhso.reports.open311 import resources
from tinhso.reports.open311.serializers import to_json, to_xml

SITE = "http://testserver"


def _fixture(w) -> list[Report]:
    op, h_pt = actor(w.users["op"]), actor(w.users["h_pt"])
    start = local(2026, 3, 2, 8, 15, 42)  # a Monday morning; seconds to check the truncation
    made = []

    def submit(n, category="traffic", description="Ổ gà lớn giữa đường", **kw):
        at = start + dt.timedelta(hours=3 * n, minutes=7 * n, seconds=n)
        return intake.submit_report(category=category, description=description, lat=w.phan_thiet.lat + n * 1e-4,
                                    lon=w.phan_thiet.lon, now=at, **kw).report, at

    report, _ = submit(0)  # submitted only: not public, minimal form
    made.append(report)
    report, at = submit(1, description='Đèn "hỏng"\n\tgiữa\\đường </b> & ©')
    triage.verify(report, op, now=at + dt.timedelta(minutes=30))
    made.append(report)
    report, at = submit(2, category="environment", address="12 Trần Hưng Đạo")  # auto-forwarded
    handling.accept(Report.objects.get(pk=report.pk), h_pt, note="Đã nhận", now=at + dt.timedelta(hours=2))
    made.append(report)
    report, at = submit(3, category="health")  # urgent deadlines
    triage.verify(report, op, now=at + dt.timedelta(minutes=10))
    made.append(report)
    report, at = submit(4, photos=[jpeg_with_exif()])
    triage.verify(report, op, now=at + dt.timedelta(minutes=1))
    report = handling.accept(Report.objects.get(pk=report.pk), h_pt, now=at + dt.timedelta(hours=1))
    handling.resolve(Report.objects.get(pk=report.pk), h_pt, result_text="Đã vá xong",
                     photos=[jpeg_with_exif()], now=at + dt.timedelta(days=1, hours=3))
    made.append(report)
    report, at = submit(5)
    triage.verify(report, op, now=at + dt.timedelta(minutes=1))
    report = handling.accept(Report.objects.get(pk=report.pk), h_pt, now=at + dt.timedelta(hours=1))
    handling.request_info(Report.objects.get(pk=report.pk), h_pt, question="Ở số nhà nào?",
                          now=at + dt.timedelta(hours=2))
    made.append(report)
    report, at = submit(6)
    triage.reject(report, op, reason="Trùng lặp", now=at + dt.timedelta(minutes=3))
    made.append(report)
    report, at = submit(7, public=False)  # the sender refused publication
    triage.verify(report, op, now=at + dt.timedelta(minutes=3))
    made.append(report)
    return [Report.objects.get(pk=r.pk) for r in made]


def _same(old: list[dict], new: list[dict]) -> None:
    assert new == old
    assert to_json(new) == before.to_json(old)
    assert to_xml("service_requests", new) == to_xml("service_requests", old)


@pytest.mark.parametrize("lang", [None, "en"])
def test_lists_and_single_requests_unchanged(world, lang):
    reports = _fixture(world)
    # One by one (any report, minimal form for the non-public ones) …
    for report in reports:
        old = before.get_request(report.code, site_url=SITE, lang=lang)
        assert len(old) == 1
        _same(old, resources.get_request(report.code, site_url=SITE, lang=lang))
    # … and as the list (ids given: every report of the fixture, newest first).
    codes = ",".join(r.code for r in reports)
    args = p.from_querydict(RequestFactory().get("/", {"service_request_id": codes}).GET)
    new = resources.query_requests(args, site_url=SITE, lang=lang).requests
    old = before.requests_of(Report.objects.filter(code__in=[r.code for r in reports]).order_by("-created_at", "-id"),
                             site_url=SITE, lang=lang)
    assert len(new) == len(reports)
    _same(old, new)
    # The public list (the listing rule and the 90-day window of the fixture's dates).
    args = p.from_querydict(RequestFactory().get("/", {"start_date": "2026-03-01", "end_date": "2026-03-31"}).GET)
    new = resources.query_requests(args, site_url=SITE, lang=lang).requests
    assert new and len(new) < len(reports)  # the unverified, rejected and unpublished ones are not listed
    old = [item for item in old if item["service_request_id"] in {n["service_request_id"] for n in new}]
    _same(old, new)
    assert any(item["notes"] and item["media_url"] for item in new)
    assert json.loads(to_json(new))  # valid JSON
