"""A dossier figure on the IOC wall and the list its link opens count the same dossiers.

The wall counts the dossiers received today, this week to date or this month to date; the 766 figures
are of the calendar week or month holding those days (``basis_period``). Its links open the dossier list
of that period's bucket narrowed to the wall's own days (``since``/``until``), so the number on the tile
and the count on the list page agree. Checked on generated dossiers that run past "today" (a list of
the whole week or month would count more), for the province and for one agency, through the services
and through the pages, and the list stays within the agencies of the reader.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.test import Client, RequestFactory

from tests.dossiers.conftest import catalogue, store_dir  # noqa: F401
from tinhso.dossiers import service, setup
from tinhso.dossiers.models import Agency, AgencyMember
from tinhso.ioc import services, summary, views

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 10, 29)  # a Wednesday: this ISO week began on Monday 27 October
WEEK, MONTH = "2025-W44", "2025-10"
AGENCY = "so-y-te"  # the dossier agency of the world's department unit of the same code


@pytest.fixture
def generated(catalogue, world, tmp_path):  # noqa: F811
    """About 6,000 generated dossiers received on the working days from September to mid-November 2025:
    before, on and after ``TODAY``; the wall's figures computed as of ``TODAY``."""
    setup.demo_catalogue()
    service.generate(tmp_path / "g.jsonl", count=6000, seed=29, end=dt.date(2025, 11, 14), months=3)
    service.import_file(tmp_path / "g.jsonl")
    services.compute(TODAY)
    return world


def _perm(user, app: str, codename: str) -> None:
    user.user_permissions.add(Permission.objects.get(content_type__app_label=app, codename=codename))


def _filters(href: str) -> dict:
    assert href.startswith("/dich-vu-cong/ho-so?"), href
    return dict(parse_qsl(urlsplit(href).query))


def _listed(client: Client, href: str) -> int:
    answer = client.get(href)
    assert answer.status_code == 200, href
    return int(re.search(r'id="dvc-count" data-total="(\d+)"', answer.content.decode()).group(1))


@pytest.mark.parametrize("unit", [None, AGENCY])
def test_each_period_s_figures_and_the_lists_behind_them_agree(generated, unit):
    user = generated.users["op"]
    _perm(user, "dossiers", "view_all_dossiers")
    client = Client()
    client.force_login(user)
    request = RequestFactory().get("/ioc")
    request.user = user
    seen = {}
    for period, basis, first in (("today", MONTH, TODAY), ("week", WEEK, dt.date(2025, 10, 27)),
                                 ("month", MONTH, dt.date(2025, 10, 1))):
        figures = summary.summary(period=period, unit=unit, today=TODAY)
        d = figures["dossiers"]
        assert d["available"] and d["scope"] == unit and d["basis_period"] == basis
        assert d["received"] > 0, period
        hrefs = views.links(request, figures, public=False, queue="")
        received = _filters(hrefs["d_received"])
        assert received == {"period": basis, "bucket": "received", "since": first.isoformat(),
                            "until": TODAY.isoformat(), **({"agency": unit} if unit else {})}
        assert service.list_dossiers(received, page_size=1)["total"] == d["received"], period
        assert _listed(client, hrefs["d_received"]) == d["received"], period
        online = service.list_dossiers(_filters(hrefs["d_online"]), page_size=1)["total"]
        assert round(online / d["received"], 4) == d["online_rate"], period
        # the whole period's list (the link before since/until) counts the days after today too
        whole = {k: v for k, v in received.items() if k not in ("since", "until")}
        assert service.list_dossiers(whole, page_size=1)["total"] > d["received"], period
        seen[period] = d["received"]
    assert seen["today"] < seen["week"] < seen["month"]


def test_the_wall_page_s_links_count_its_tiles_for_an_agency_official(generated, monkeypatch):
    """A department's official follows the tile on their wall (their agency) to a list of the same count;
    the province's lists stay closed to them: no link from the wall, and a list without an agency holds
    only their agency's dossiers."""
    from django.utils import timezone

    official = generated.users["h_syt"]
    _perm(official, "ioc", "view_wall")
    _perm(official, "dossiers", "view_agency_dossiers")
    AgencyMember.objects.create(user=official, agency=Agency.objects.get(code=AGENCY))
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    client = Client()
    client.force_login(official)
    for period in ("today", "week", "month"):
        page = client.get(f"/ioc?period={period}").content.decode()
        tile = re.search(r'<a class="tile" href="([^"]+)" title="[^"]*">\s*<span class="label">Hồ sơ tiếp nhận</span>'
                         r'\s*<strong class="value"[^>]*>([\d.,]+)</strong>', page)
        href, shown = tile.group(1).replace("&amp;", "&"), int(re.sub(r"[.,]", "", tile.group(2)))
        d = summary.summary(period=period, unit=AGENCY, today=TODAY)["dossiers"]
        assert shown == d["received"] and _filters(href)["agency"] == AGENCY, period
        assert _listed(client, href) == d["received"], period
        # the same days without an agency: narrowed to theirs, never the province's
        days = {k: v for k, v in _filters(href).items() if k != "agency"}
        assert _listed(client, "/dich-vu-cong/ho-so?" + "&".join(f"{k}={v}" for k, v in days.items())) == d["received"]
    other = Agency.objects.exclude(code=AGENCY).values_list("code", flat=True).first()
    denied = client.get("/dich-vu-cong/ho-so", {"period": MONTH, "bucket": "received", "since": TODAY.isoformat(),
                                                "until": TODAY.isoformat(), "agency": other})
    assert denied.status_code == 403
    request = RequestFactory().get("/ioc")
    request.user = official
    province = views.links(request, summary.summary(period="today", today=TODAY), public=False, queue="")
    assert not province["d_received"].startswith("/dich-vu-cong/ho-so")  # the 766 page, not a list
