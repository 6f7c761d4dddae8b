"""The shared-database catalogue and the open-data plan: late promises are flagged; the CLI refreshes."""

from __future__ import annotations

import datetime as dt
import json

from django.test import Client

from tinhso.cli import main
from tinhso.opendata.models import AccessLevel, ConnectionStatus, Dataset, PlanItem, SharedDatabase


def test_late_plan_items_are_flagged_and_published_ones_are_not(portal, capsys):
    assert main(["opendata", "refresh", "--only", "geo", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["don-vi-hanh-chinh"] > 0
    units = Dataset.objects.get(name="don-vi-hanh-chinh")
    today = dt.date.today()
    late = PlanItem.objects.create(title_vi="Danh sách trường học", organization=portal,
                                   due=today - dt.timedelta(days=1), plan_reference="KH 1/2026")
    done = PlanItem.objects.create(title_vi="Đơn vị hành chính", organization=portal,
                                   due=today - dt.timedelta(days=30), plan_reference="KH 1/2026", dataset=units)
    future = PlanItem.objects.create(title_vi="Cơ sở lưu trú", organization=portal,
                                     due=today + dt.timedelta(days=30), plan_reference="KH 1/2026")
    assert [late.is_late(today), done.is_late(today), future.is_late(today)] == [True, False, False]
    SharedDatabase.objects.create(code="csdl-y-te", name_vi="CSDL y tế", owner=portal, content="Cơ sở khám chữa bệnh",
                                  legal_basis="QĐ 1/2026", access_level=AccessLevel.SHARED,
                                  connection_status=ConnectionStatus.PLANNED)
    page = Client().get("/du-lieu-mo/danh-muc").content.decode()
    assert "CSDL y tế" in page and "QĐ 1/2026" in page
    assert page.count('class="late"') == 1 and "1 bộ dữ liệu trễ hạn" in page
    # a withdrawn dataset makes its promise unpublished again
    units.state = "withdrawn"
    units.save()
    done.refresh_from_db()
    assert done.is_late(today)


def test_unknown_generator_is_refused(db, capsys):
    assert main(["opendata", "refresh", "--only", "weather"]) == 2
    assert "weather" in capsys.readouterr().out


def test_titles_and_names_in_the_pages_language(portal):
    """The catalogue, the plan and a dataset's page name organisations, databases and plan items in
    English on an English page (their stored English titles), in Vietnamese otherwise."""
    portal.title_en = "Open data portal office"
    portal.save()
    today = dt.date.today()
    PlanItem.objects.create(title_vi="Danh sách trường học", title_en="Schools", organization=portal,
                            due=today + dt.timedelta(days=30), plan_reference="KH 1/2026")
    SharedDatabase.objects.create(code="csdl-y-te", name_vi="CSDL y tế", name_en="Health database", owner=portal,
                                  content="Cơ sở khám chữa bệnh", legal_basis="QĐ 1/2026",
                                  access_level=AccessLevel.SHARED, connection_status=ConnectionStatus.PLANNED)
    client = Client()
    vietnamese = client.get("/du-lieu-mo/danh-muc").content.decode()
    for text in ("Danh sách trường học", "CSDL y tế", portal.title_vi):
        assert text in vietnamese, text
    client.cookies["django_language"] = "en"
    english = client.get("/du-lieu-mo/danh-muc").content.decode()
    for text in ("Schools", "Health database", "Open data portal office"):
        assert text in english, text
    for text in ("Danh sách trường học", "CSDL y tế", portal.title_vi):
        assert text not in english, text
