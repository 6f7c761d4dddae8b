"""Report history on the pages in the page's language: a note the system wrote in both languages
("Chuyển đến … / Forwarded to …") shows only the page's half on the public, tracking, IOC and unit
pages, while a person's own note is shown whole, " / " and all; the API keeps the stored text."""

from __future__ import annotations

import html as htmllib

import pytest
from django.utils import timezone

from tests.reports.factories import give_secret, make_report
from tinhso.core.i18n import half
from tinhso.reports import triage
from tinhso.reports.history_notes import system_note
from tinhso.reports.intake import submit_report
from tinhso.reports.models import Report, ReportEvent, State
from tinhso.reports.permissions import actor_for_user
from tinhso.reports.routing import forwarded_note

pytestmark = pytest.mark.django_db

CITIZEN_NOTE = "Ổ gà sâu / rộng khoảng 1 m, xe máy ngã hai lần."
OPERATOR_NOTE = "Chuyển gấp / ưu tiên trước Tết."


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def page(client, url: str, language: str) -> str:
    client.cookies["django_language"] = language
    response = client.get(url)
    assert response.status_code == 200, url
    return htmllib.unescape(response.content.decode())


def test_half_and_what_counts_as_a_system_note(world):
    assert half("Chuyển đến X. / Forwarded to X.", english=True) == "Forwarded to X."
    assert half("Chuyển đến X. / Forwarded to X.", english=False) == "Chuyển đến X."
    assert half("a / b / c", english=True) == "a / b / c"  # not certain: whole
    for unit_note in (forwarded_note(world.syt), forwarded_note(world.syt, automatic=True),
                      forwarded_note(world.syt, again=True)):
        assert system_note("forward", "operator", "op", unit_note)
    assert not system_note("forward", "operator", "op", OPERATOR_NOTE)
    assert not system_note("provide_info", "citizen", "citizen", CITIZEN_NOTE)
    assert system_note("provide_info", "citizen", "citizen", CITIZEN_NOTE, synthetic_report=True)
    assert system_note("close", "system", "system", "Tự động đóng. / Closed automatically.")


def test_history_pages_show_the_system_notes_half_and_peoples_notes_whole(client, world):
    world.syt.name_en = "Department of Health"
    world.syt.save()
    auto = submit_report(category="environment", description="Khói", lat=world.phan_thiet.lat,
                         lon=world.phan_thiet.lon).report  # auto-assigned: the system's note
    manual = make_report(world, State.VERIFIED, category=world.health)
    triage.forward(manual, actor_for_user(world.users["op"]))  # the operator's forward, default note
    own = make_report(world, State.VERIFIED, category=world.health)
    triage.forward(own, actor_for_user(world.users["op"]), note=OPERATOR_NOTE)  # the operator's own words
    ReportEvent.objects.create(report=own, at=timezone.now(), actor_label="citizen", actor_role="citizen",
                               action="provide_info", from_state=own.state, to_state=own.state,
                               note=CITIZEN_NOTE, public=True)
    for report in (manual, own):  # published by its sender, checked by the IOC: the public sees its history
        Report.objects.filter(pk=report.pk).update(public=True, verified_at=timezone.now())
    secret = give_secret(manual)
    urls = {"public": (f"/phan-anh/{manual.code}", None), "tracking": (f"/phan-anh/{manual.code}?k={secret}", None),
            "ioc": (f"/ioc/phan-anh/{manual.code}", "op"), "unit": (f"/don-vi/phan-anh/{manual.code}", "h_syt")}
    for name, (url, user) in urls.items():
        client.logout()
        if user:
            client.force_login(world.users[user])
        en, vi = page(client, url, "en"), page(client, url, "vi")
        assert "Forwarded to Department of Health." in en and "Chuyển đến Sở Y tế" not in en, name
        assert "Chuyển đến Sở Y tế." in vi and "Forwarded to" not in vi, name
    client.force_login(world.users["op"])
    en, vi = page(client, f"/ioc/phan-anh/{auto.code}", "en"), page(client, f"/ioc/phan-anh/{auto.code}", "vi")
    assert "Forwarded automatically to UBND Phường Phan Thiết." in en and "Chuyển tự động" not in en
    assert "Chuyển tự động đến UBND Phường Phan Thiết." in vi and "Forwarded automatically" not in vi
    client.force_login(world.users["op"])
    for language in ("en", "vi"):
        text = page(client, f"/ioc/phan-anh/{own.code}", language)
        assert OPERATOR_NOTE in text and CITIZEN_NOTE in text, language
    client.logout()
    assert CITIZEN_NOTE in page(client, f"/phan-anh/{own.code}", "en")


def test_the_api_keeps_the_stored_note(client, world):
    submission = submit_report(category="environment", description="Khói", lat=world.phan_thiet.lat,
                               lon=world.phan_thiet.lon)
    client.cookies["django_language"] = "en"
    body = client.get(f"/api/v1/reports/track/{submission.report.code}",
                      headers={"X-Citizen-Token": submission.citizen_secret}).json()
    notes = [e["note"] for e in body["history"]]
    assert "Chuyển tự động đến UBND Phường Phan Thiết. / Forwarded automatically to UBND Phường Phan Thiết." in notes
    assert all("system_note" not in e for e in body["history"])
