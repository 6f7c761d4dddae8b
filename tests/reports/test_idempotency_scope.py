"""An idempotency key is scoped to what proves the client (client token, session, API key), never to
its address: a second client behind the same address never gets the first one's report or secret."""

import pytest
from django.core.cache import cache
from django.test import Client

from tinhso.reports import citizen_secret
from tinhso.reports.models import Report

SUBMIT = "/api/v1/reports/submit"


@pytest.fixture(autouse=True)
def _fresh_cache(db):  # the cache is a database table
    cache.clear()
    yield
    cache.clear()


def _form(world, **extra):
    return {"category": "traffic", "description": "Cống bị tắc", "lat": str(world.phan_thiet.lat),
            "lon": str(world.phan_thiet.lon), "reporter_phone": "0912345678", **extra}


def test_same_key_from_another_client_at_the_same_address_gets_nothing(world):
    first = Client(REMOTE_ADDR="203.0.113.7").post(SUBMIT, _form(world), headers={"Idempotency-Key": "retry-1"})
    assert first.status_code == 201, first.content
    code = first.json()["report"]["code"]
    other = Client(REMOTE_ADDR="203.0.113.7").post(SUBMIT, _form(world, description="Khác"),
                                                   headers={"Idempotency-Key": "retry-1"})
    assert other.status_code == 409, other.content
    assert other.json()["error"]["code"] == "idempotency_key_used"
    text = other.content.decode()
    assert code not in text and "citizen_token" not in text and "0912345678" not in text
    report = Report.objects.get()
    # The first client's secret still works: nobody was issued a new one.
    assert citizen_secret.matches(report, first.json()["citizen_token"])


def test_client_token_scopes_retries_to_that_client(world):
    token_a, token_b = "install-a-5b1e0c9d77f2", "install-b-0a9f3e6c41d8"
    a = Client(REMOTE_ADDR="203.0.113.7")
    b = Client(REMOTE_ADDR="203.0.113.7")
    first = a.post(SUBMIT, _form(world), headers={"Idempotency-Key": "k", "X-Client-Token": token_a})
    theirs = b.post(SUBMIT, _form(world, description="Của B"), headers={"Idempotency-Key": "k",
                                                                          "X-Client-Token": token_b})
    assert first.status_code == theirs.status_code == 201
    assert theirs.json()["report"]["code"] != first.json()["report"]["code"]
    retry = a.post(SUBMIT, _form(world, client_token=token_a), headers={"Idempotency-Key": "k"})
    assert retry.status_code == 200 and not retry.json()["created"]
    assert retry.json()["report"]["code"] == first.json()["report"]["code"] and retry.json()["citizen_token"]
    assert Report.objects.count() == 2
    assert all(not r.idempotency_scope.count("203.0.113.7") for r in Report.objects.all())
    short = a.post(SUBMIT, _form(world), headers={"Idempotency-Key": "k2", "X-Client-Token": "short"})
    assert short.status_code == 400 and short.json()["error"]["field"] == "client_token"


def test_idempotency_key_too_long_is_refused_not_cut(world):
    response = Client().post(SUBMIT, _form(world, idempotency_key="k" * 101))
    assert response.status_code == 400 and response.json()["error"]["code"] == "idempotency_key_too_long"
    assert not Report.objects.exists()


def test_web_form_retries_are_per_browser_session(world):
    form = {"category": "traffic", "description": "Ổ gà", "lat": str(world.phan_thiet.lat),
            "lon": str(world.phan_thiet.lon), "public": "on", "idempotency_key": "same-key"}
    mine, theirs = Client(REMOTE_ADDR="203.0.113.9"), Client(REMOTE_ADDR="203.0.113.9")
    for browser in (mine, theirs):
        assert browser.get("/phan-anh").status_code == 200
    first = mine.post("/phan-anh", form)
    again = mine.post("/phan-anh", form)
    other = theirs.post("/phan-anh", form)
    assert first.status_code == again.status_code == other.status_code == 302
    codes = {r["Location"].split("?")[0] for r in (first, again, other)}
    assert Report.objects.count() == 2 and len(codes) == 2
    assert other["Location"].split("?")[0] != first["Location"].split("?")[0]


def test_migration_replaces_stored_ip_scopes_by_hashes(world):
    import importlib

    from django.apps import apps

    from tests.reports.factories import make_report

    migration = importlib.import_module("tinhso.reports.migrations.0005_idempotency_scope_privacy")
    kept = {"client:3", "api:t:" + "a" * 32, "web:s:" + "b" * 32, "anon"}
    for scope in ("web:203.0.113.7", "api:2001:db8::1", "api:unknown", *kept):
        make_report(world, idempotency_scope=scope, idempotency_key="k")
    migration.hide_addresses(apps, None)
    scopes = set(Report.objects.values_list("idempotency_scope", flat=True))
    assert kept < scopes and len(scopes) == 7
    assert not any("203.0.113.7" in s or "2001:db8" in s or s == "api:unknown" for s in scopes)


def _links_in_mail(code):
    import re

    from tinhso.notify.models import Channel, Message

    bodies = Message.objects.filter(channel=Channel.EMAIL, kind="report_acknowledged", ref_code=code) \
        .order_by("id").values_list("body", flat=True)
    return [re.search(r"(/phan-anh/" + code + r"\?k=[^\s]+)", body).group(1) for body in bodies]


def test_web_form_retry_keeps_the_secret_so_the_emailed_link_works(world):
    """A double tap on the form: the same report and the same secret, so the link in the one
    acknowledgement e-mail still opens the citizen's page."""
    form = {"category": "traffic", "description": "Ổ gà sâu", "lat": str(world.phan_thiet.lat),
            "lon": str(world.phan_thiet.lon), "public": "on", "idempotency_key": "tap-tap",
            "reporter_email": "dan@example.org"}
    browser = Client()
    assert browser.get("/phan-anh").status_code == 200
    first, again = browser.post("/phan-anh", form), browser.post("/phan-anh", form)
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]  # the same private link, not a new secret
    report = Report.objects.get()
    links = _links_in_mail(report.code)
    assert len(links) == 1
    page = Client().get(links[0])  # opened later from the mail program
    assert page.status_code == 200, page.content[:300]
    assert not report.events.filter(action="reissue_secret").exists()


def test_api_retry_with_a_new_secret_emails_the_new_link(world):
    """A retry that does get a new secret (the first answer may never have arrived) e-mails the link
    that works now."""
    token = "install-a-5b1e0c9d77f2"
    client = Client()
    form = _form(world, reporter_email="dan@example.org")
    first = client.post(SUBMIT, form, headers={"Idempotency-Key": "k", "X-Client-Token": token})
    retry = client.post(SUBMIT, form, headers={"Idempotency-Key": "k", "X-Client-Token": token})
    assert first.status_code == 201 and retry.status_code == 200
    report = Report.objects.get()
    links = _links_in_mail(report.code)
    assert len(links) == 2
    assert Client().get(links[0]).status_code == 403  # rotated
    assert Client().get(links[-1]).status_code == 200
    assert links[-1].endswith(retry.json()["citizen_token"])
