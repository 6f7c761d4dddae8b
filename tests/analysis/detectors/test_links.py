"""The evidence links of the analysis: relative on the site's pages, each opening (200) for the
report's readers — records on the page the reader may open — and absolute (SITE_URL) in the files."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from tests.accounts import role_user
from tests.analysis.detectors.conftest import MONTH, generate_reports
from tinhso.analysis import report
from tinhso.analysis.detectors import run_all
from tinhso.analysis.findings import Context

REPORT_KINDS = ["rising_category", "hotspots", "units_behind"]
EVIDENCE = re.compile(r"<p><strong>(?:Bằng chứng|Evidence):</strong>(.*?)</p>", re.S)
CONTEXT = re.compile(r'<p class="an-meta"><strong>(?:Tham khảo|See also)[^<]*</strong>(.*?)</p>', re.S)
HREF = re.compile(r'href="([^"]*)"')


def _evidence_links(page: str) -> list[str]:
    return [html.unescape(h) for block in EVIDENCE.findall(page) for h in HREF.findall(block)]


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def archived(province):
    from tinhso.reports.models import HandlingUnit

    effects = generate_reports(800, seed=4101, effects=3)
    cluster = next(e for e in effects if e.kind == "street_cluster")
    committee = HandlingUnit.objects.get(commune__code=cluster.commune_code, kind="commune_committee")
    report.generate(MONTH, None, findings=run_all(Context(month=MONTH), kinds=REPORT_KINDS))
    report.generate(MONTH, committee.code,
                    findings=run_all(Context(month=MONTH, unit=committee.code), kinds=REPORT_KINDS))
    return committee


def _check(client, page_url: str) -> list[str]:
    page = client.get(page_url)
    assert page.status_code == 200, page_url
    found = _evidence_links(page.content.decode())
    assert found, f"no evidence links on {page_url}"
    bad = [u for u in found if not u.startswith("/") or u.startswith("//")]
    assert not bad, bad
    closed = [(u, client.get(u).status_code) for u in sorted(set(found))]
    assert all(code == 200 for _u, code in closed), [c for c in closed if c[1] != 200]
    return found


def test_links_on_the_pages_are_relative_and_open_for_their_readers(archived, settings):
    settings.SITE_URL = "https://elsewhere.example"
    month = f"/phan-tich/{MONTH:%Y-%m}"
    for user in (role_user("leader-prov", "leader", None), role_user("op", "operator", None)):
        found = _check(_client(user), month)
        expected = "/ioc/phan-anh/" if user.username == "op" else "/don-vi/phan-anh/"
        assert any(u.startswith(expected) for u in found), found
        # The statistics page counts otherwise (reports received in the month): context, never evidence.
        assert not any(u.startswith("/phan-anh/thong-ke") for u in found), found
        page = _client(user).get(month).content.decode()
        context = [html.unescape(h) for block in CONTEXT.findall(page) for h in HREF.findall(block)]
        assert any(u.startswith("/phan-anh/thong-ke?since=") for u in context), context
    leader = role_user("leader-commune", "leader", archived)
    found = _check(_client(leader), f"{month}/don-vi/{archived.code}")
    assert any(u.startswith("/don-vi/phan-anh/") for u in found), found


def test_links_in_the_files_are_absolute_to_the_readers_record_page(archived, settings):
    settings.SITE_URL = "https://tinhso.example"
    c = _client(role_user("leader-prov", "leader", None))
    page = c.get(f"/phan-tich/{MONTH:%Y-%m}/tai-ve/vi.html").content.decode()
    found = _evidence_links(page)
    assert found and all(u.startswith("https://tinhso.example/") for u in found), found
    assert any(u.startswith("https://tinhso.example/don-vi/phan-anh/") for u in found)
    assert not any("/ioc/phan-anh/" in u for u in found)
