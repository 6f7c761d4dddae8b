"""Unit names on the report pages follow the page's language: a commune's (``geo.Unit.name_en``) and a
handling unit's (``HandlingUnit.name_en``) English name on English pages, the Vietnamese name on
Vietnamese ones; the CSV export keeps the stored Vietnamese names."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.html import escape

from tests.reports.factories import make_report
from tinhso.reports.models import State

COMMUNE_VI, COMMUNE_EN = "Phường Phan Thiết", "Phan Thiet Ward"
UNIT_VI, UNIT_EN = "UBND Phường Phan Thiết", "People's Committee of Phan Thiet Ward"


@pytest.fixture
def named(world, settings):
    """The ``world`` with English names on its handling units (its communes have theirs from the registry)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    for unit, name_en in ((world.pt, UNIT_EN), (world.mn, "People's Committee of Mui Ne Ward"),
                          (world.syt, "Department of Health")):
        unit.name_en = name_en
        unit.save()
    assert world.phan_thiet.name_en == COMMUNE_EN
    return world


def page(client, url, *, user=None, english=False, **params) -> str:
    if user is not None:
        client.force_login(user)
    if english:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def assert_english(text: str) -> None:
    assert escape(COMMUNE_EN) in text and escape(UNIT_EN) in text
    assert COMMUNE_VI not in text and UNIT_VI not in text


def assert_vietnamese(text: str) -> None:
    assert COMMUNE_VI in text and UNIT_VI in text
    assert COMMUNE_EN not in text and escape(UNIT_EN) not in text


def commune_cell(text: str, code: str) -> str:
    """The queue table's commune cell (its column label in either language) of the row of ``code``."""
    row = text[text.index(f'<tr data-code="{code}"'):]
    label = 'data-label="Commune/ward">' if 'lang="en"' in text else 'data-label="Xã/phường">'
    cell = row[row.index(label):]
    return cell[:cell.index("</td>")]


# ---------------------------------------------------------------------------------------------
# Staff queues


@pytest.mark.django_db
def test_ioc_queue_names_units_in_the_pages_language(client, named):
    report = make_report(named, State.IN_PROGRESS)
    english = page(client, "/ioc/phan-anh", user=named.users["op"], english=True)
    assert report.code in english
    assert COMMUNE_EN in commune_cell(english, report.code)
    assert_english(english)
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    vietnamese = page(client, "/ioc/phan-anh")
    assert COMMUNE_VI in commune_cell(vietnamese, report.code)
    assert_vietnamese(vietnamese)


@pytest.mark.django_db
def test_ioc_queue_unit_picker_names_units_in_the_pages_language_and_finds_either_name(client, named):
    make_report(named, State.VERIFIED)
    english = page(client, "/ioc/phan-anh", user=named.users["op"], english=True)
    assert 'data-fold="ubnd phuong phan thiet people&#x27;s committee of phan thiet ward ubnd-phan-thiet"' in english
    assert ">Department of Health</option>" in english and ">Sở Y tế</option>" not in english
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    assert ">Sở Y tế</option>" in page(client, "/ioc/phan-anh")


@pytest.mark.django_db
def test_unit_queue_heading_and_rows_in_the_pages_language(client, named):
    report = make_report(named, State.ASSIGNED)
    english = page(client, "/don-vi/phan-anh", user=named.users["h_pt"], english=True)
    assert f"Reports to handle — {escape(UNIT_EN)}</h1>" in english
    assert COMMUNE_EN in commune_cell(english, report.code)
    assert_english(english)
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    vietnamese = page(client, "/don-vi/phan-anh")
    assert f"Phản ánh cần xử lý — {UNIT_VI}</h1>" in vietnamese
    assert_vietnamese(vietnamese)


@pytest.mark.django_db
def test_unit_without_english_name_keeps_its_vietnamese_name_on_english_pages(client, named):
    named.pt.name_en = ""
    named.pt.save()
    make_report(named, State.ASSIGNED)
    english = page(client, "/don-vi/phan-anh", user=named.users["h_pt"], english=True)
    assert f"Reports to handle — {UNIT_VI}</h1>" in english


@pytest.mark.django_db
def test_queue_sorted_by_commune_follows_the_names_shown(client, named):
    from tinhso.geo.models import Unit

    # A commune ("Xã …") sorting after "Phường Phan Thiết" in Vietnamese but before "Phan Thiet Ward" in English.
    xa = (Unit.objects.filter(structure="current", level="commune", province_code="68", name__startswith="Xã ",
                              name_en__lt="Phan").order_by("name_en").first())
    here = make_report(named, State.SUBMITTED)
    there = make_report(named, State.SUBMITTED, commune=xa, lat=xa.lat, lon=xa.lon)
    english = page(client, "/ioc/phan-anh", user=named.users["op"], english=True, sort="commune")
    assert english.index(f'data-code="{there.code}"') < english.index(f'data-code="{here.code}"')
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    vietnamese = page(client, "/ioc/phan-anh", sort="commune")
    assert vietnamese.index(f'data-code="{here.code}"') < vietnamese.index(f'data-code="{there.code}"')


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["phan thiet ward", "PHAN THIET WARD", "Phường Phan Thiết", "phuong phan thiet"])
def test_queue_search_matches_the_commune_in_either_language(client, named, q):
    here = make_report(named, State.SUBMITTED)
    elsewhere = make_report(named, State.SUBMITTED, commune=named.mui_ne)
    text = page(client, "/ioc/phan-anh", user=named.users["op"], q=q)
    assert f'data-code="{here.code}"' in text and f'data-code="{elsewhere.code}"' not in text


@pytest.mark.django_db
def test_csv_export_keeps_the_vietnamese_names(client, named):
    make_report(named, State.IN_PROGRESS)
    client.force_login(named.users["op"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = b"".join(client.get("/ioc/phan-anh.csv").streaming_content).decode("utf-8-sig")
    assert COMMUNE_VI in body and UNIT_VI in body and COMMUNE_EN not in body


# ---------------------------------------------------------------------------------------------
# A report's pages


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "user"), [("/ioc/phan-anh/{code}", "op"), ("/don-vi/phan-anh/{code}", "h_pt")])
def test_staff_report_page_names_units_in_the_pages_language(client, named, url, user):
    report = make_report(named, State.IN_PROGRESS)
    english = page(client, url.format(code=report.code), user=named.users[user], english=True)
    assert f"<dd>{COMMUNE_EN}</dd>" in english and f"<dd>{escape(UNIT_EN)}</dd>" in english
    assert_english(english)
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    vietnamese = page(client, url.format(code=report.code))
    assert f"<dd>{COMMUNE_VI}</dd>" in vietnamese and f"<dd>{UNIT_VI}</dd>" in vietnamese
    assert_vietnamese(vietnamese)


@pytest.mark.django_db
def test_ioc_verify_page_names_the_routing_target_in_the_pages_language(client, named):
    report = make_report(named, State.VERIFIED, category=named.health)
    english = page(client, f"/ioc/phan-anh/{report.code}", user=named.users["op"], english=True)
    assert "By the routing rules: Department of Health" in english and "Sở Y tế" not in english
    done = client.post(f"/ioc/phan-anh/{report.code}/thao-tac", {"action": "forward"}, follow=True)
    assert "Forwarded to Department of Health." in done.content.decode()


@pytest.mark.django_db
def test_public_pages_name_units_in_the_pages_language(client, named):
    report = make_report(named, State.IN_PROGRESS, public=True, verified_at=timezone.now())
    english = page(client, f"/phan-anh/cong-khai/{report.code}", english=True)
    assert f"<dd>{COMMUNE_EN}</dd>" in english and f"<dd>{escape(UNIT_EN)}</dd>" in english
    assert_english(english)
    listing = page(client, "/phan-anh/cong-khai")
    assert report.code in listing and f'data-label="Commune/ward">{COMMUNE_EN}</td>' in listing
    assert COMMUNE_VI not in listing
    tracking = page(client, f"/phan-anh/{report.code}")
    assert f"<dd>{COMMUNE_EN}</dd>" in tracking and f"<dd>{escape(UNIT_EN)}</dd>" in tracking
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    vietnamese = page(client, f"/phan-anh/cong-khai/{report.code}")
    assert f"<dd>{COMMUNE_VI}</dd>" in vietnamese and f"<dd>{UNIT_VI}</dd>" in vietnamese
    assert_vietnamese(vietnamese)
    assert f'data-label="Xã/phường">{COMMUNE_VI}</td>' in page(client, "/phan-anh/cong-khai")


@pytest.mark.django_db
def test_statistics_page_names_units_in_the_pages_language_and_its_csv_in_vietnamese(client, named):
    make_report(named, State.IN_PROGRESS)
    english = page(client, "/phan-anh/thong-ke", english=True)
    assert escape(UNIT_EN) in english and UNIT_VI not in english
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    assert UNIT_VI in page(client, "/phan-anh/thong-ke")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    csv_body = client.get("/api/v1/reports/stats.csv", {"by": "unit"}).content.decode()
    assert UNIT_VI in csv_body and UNIT_EN not in csv_body


# ---------------------------------------------------------------------------------------------
# What the pages' JavaScript shows


@pytest.mark.django_db
def test_map_data_carry_the_english_names(client, named):
    outlines = json.loads(client.get("/phan-anh/ban-do/xa.geojson").content)
    here = next(f["properties"] for f in outlines["features"] if f["properties"]["code"] == named.phan_thiet.code)
    assert here["name"] == COMMUNE_VI and here["name_en"] == COMMUNE_EN
    place = client.get("/api/v1/reports/place", {"lat": named.phan_thiet.lat, "lon": named.phan_thiet.lon}).json()
    assert place["commune"]["name_en"] == COMMUNE_EN and place["province"]["name_en"] == "Lam Dong Province"
