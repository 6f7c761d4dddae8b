"""The submitter's secret: only the citizen who sent a report rates it, asks to reopen it or answers.

The tracking code is public; these tests check that knowing it is not enough — through the
services, the native API, the pages and Open311 — that the secret is given once, stored only as
a hash, and never shows up in anything read back (GET).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.reports.conftest import actor, png_bytes
from tests.reports.factories import give_secret, make_report, submitter
from tinhso.reports import apikeys, citizen_secret, feedback, handling, intake, synthetic, triage, workflow
from tinhso.reports.models import Report, ReportEvent, State
from tinhso.reports.permissions import citizen


@pytest.fixture(autouse=True)
def _fresh(settings, db):  # db: the rate-limit counters live in the database cache
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()  # rate-limit counters
    from tinhso.reports.open311 import auth

    auth._known_keys.clear()


SCOPE = "api:t:test-client"  # a scope proving the client (see tinhso.reports.idempotency)


def submit(w, **kw):
    return intake.submit_report(category="traffic", description="Ổ gà trước nhà số 7", lat=w.phan_thiet.lat,
                                lon=w.phan_thiet.lon, **kw)


def refused(call, code: str):
    with pytest.raises(Exception) as err:
        call()
    assert getattr(err.value, "status", None) == 403 and err.value.code == code, err.value
    assert err.value.message_vi and err.value.message_en
    return err.value


def post_json(client, path, body, **headers):
    return client.post(path, data=json.dumps(body), content_type="application/json", headers=headers)


# ---------------------------------------------------------------------------------------------
# Issued once, stored as a hash


def test_secret_given_once_and_stored_only_as_a_salted_hash(world):
    submission = submit(world, photos=[png_bytes()])
    report, secret = submission.report, submission.citizen_secret
    assert len(secret) == 17 and secret.count("-") == 2
    report.refresh_from_db()
    expected = hashlib.sha256(f"{report.code}:{secret.replace('-', '')}".encode()).hexdigest()
    assert report.citizen_secret_hash == expected
    # Nowhere in clear: no column of the report or its events holds the secret (any spelling).
    row = Report.objects.filter(pk=report.pk).values().get()
    stored = json.dumps(row, default=str) + json.dumps(list(ReportEvent.objects.filter(report=report).values()),
                                                       default=str)
    for spelling in (secret, secret.replace("-", ""), secret.lower()):
        assert spelling not in stored
    # Two reports never share a secret or a hash.
    other = submit(world)
    assert other.citizen_secret != secret and other.report.citizen_secret_hash != report.citizen_secret_hash


def test_holder_accepts_the_secret_as_typed_and_refuses_the_rest(world):
    submission = submit(world)
    report, secret = submission.report, submission.citizen_secret
    typed = " " + secret.lower().replace("-", " ").replace("0", "o").replace("1", "l") + " "
    assert citizen_secret.holder(report, typed).holds_report == report.code
    refused(lambda: citizen_secret.holder(report, ""), "citizen_secret_required")
    refused(lambda: citizen_secret.holder(report, None), "citizen_secret_required")
    refused(lambda: citizen_secret.holder(report, secret[:-1] + ("X" if secret[-1] != "X" else "Y")),
            "citizen_secret_wrong")
    other = submit(world)
    refused(lambda: citizen_secret.holder(report, other.citizen_secret), "citizen_secret_wrong")


def test_synthetic_reports_have_no_secret_and_refuse_citizen_actions(world):
    synthetic.generate(40, seed=3)
    rows = Report.objects.filter(synthetic=True)
    assert rows.exists() and not rows.exclude(citizen_secret_hash="").exists()
    resolved = rows.filter(state=State.RESOLVED).first() or rows.first()
    err = refused(lambda: citizen_secret.holder(resolved, "ABCDE-FGHJK-MNPQR"), "citizen_secret_unavailable")
    assert "mô phỏng" in err.message_vi and "synthetic" in err.message_en


def test_prompt_retry_reissues_the_secret_late_retry_gets_none(world):
    first = submit(world, idempotency_key="k-1", idempotency_scope=SCOPE)
    report = first.report
    again = submit(world, idempotency_key="k-1", idempotency_scope=SCOPE)
    assert not again.created and again.report.pk == report.pk
    assert again.citizen_secret and again.citizen_secret != first.citizen_secret
    report.refresh_from_db()
    assert not citizen_secret.matches(report, first.citizen_secret)
    assert citizen_secret.matches(report, again.citizen_secret)
    event = ReportEvent.objects.get(report=report, action="reissue_secret")
    assert not event.public and event.from_state == event.to_state == State.SUBMITTED
    late = report.created_at + dt.timedelta(minutes=citizen_secret.REISSUE_MINUTES + 1)
    assert submit(world, idempotency_key="k-1", idempotency_scope=SCOPE, now=late).citizen_secret is None
    report.refresh_from_db()
    assert citizen_secret.matches(report, again.citizen_secret)  # a late retry changes nothing


# ---------------------------------------------------------------------------------------------
# Services: the actor must have proved this report's secret


@pytest.mark.parametrize("rating,comment,state", [(5, "", State.CLOSED), (1, "Vẫn còn ổ gà", State.REOPENED)],
                         ids=["rate", "request_reopen"])
def test_rate_and_reopen_request_need_the_submitter(world, rating, comment, state):
    report = make_report(world, State.RESOLVED, result_text="Đã vá")
    stranger = make_report(world, State.RESOLVED)
    for who, code in ((citizen(), "citizen_secret_required"), (submitter(stranger), "citizen_secret_required")):
        refused(lambda who=who: feedback.rate(report, rating, comment=comment, actor=who), code)
    refused(lambda: feedback.rate(report, rating, comment=comment, actor=actor(world.users["op"])),
            "action_forbidden")  # staff cannot rate for the citizen either
    report.refresh_from_db()
    assert report.rating is None and report.state == State.RESOLVED and not report.events.exists()
    feedback.rate(report, rating, comment=comment, actor=submitter(report))
    report.refresh_from_db()
    # A reopening rating judged the result being reopened: it is in the history, not on the report.
    assert (report.rating, report.state) == (None if state == State.REOPENED else rating, state)
    assert report.events.get(action__in=("close", "request_reopen")).data["rating"] == rating


def test_provide_info_needs_the_submitter(world):
    report = make_report(world, State.INFO_REQUESTED, status_note="Số nhà?")
    stranger = make_report(world, State.INFO_REQUESTED)
    for who in (citizen(), submitter(stranger)):
        refused(lambda who=who: handling.provide_info(report, who, answer="Số 7"), "citizen_secret_required")
    report.refresh_from_db()
    assert report.state == State.INFO_REQUESTED and not report.events.exists()
    handling.provide_info(report, submitter(report), answer="Số 7")
    report.refresh_from_db()
    assert report.state == State.IN_PROGRESS


@pytest.mark.parametrize("action,state", [("rate", State.RESOLVED), ("request_reopen", State.RESOLVED),
                                          ("close", State.RESOLVED), ("provide_info", State.INFO_REQUESTED)])
def test_workflow_refuses_unproved_citizens(world, action, state):
    report = make_report(world, state)
    refused(lambda: workflow.transition(report, action, citizen(), note="x"), "citizen_secret_required")
    assert action not in workflow.allowed_actions(report, citizen())
    assert action in workflow.allowed_actions(report, submitter(report))


# ---------------------------------------------------------------------------------------------
# Native API


def test_api_citizen_actions_need_the_token(world):
    anon = Client()
    body = anon.post("/api/v1/reports/submit", data={
        "category": "traffic", "description": "Ổ gà", "lat": str(world.phan_thiet.lat),
        "lon": str(world.phan_thiet.lon)}).json()
    code, token = body["report"]["code"], body["citizen_token"]
    assert body["private_url"] == f"http://testserver/phan-anh/{code}?k={token}"
    report = Report.objects.get(code=code)
    # Public status without the token (text hidden until checked); the submitter's view with it.
    assert anon.get(f"/api/v1/reports/track/{code}").json()["description"] is None
    mine = anon.get(f"/api/v1/reports/track/{code}", headers={"X-Citizen-Token": token}).json()
    assert mine["description"] == "Ổ gà"
    wrong = anon.get(f"/api/v1/reports/track/{code}", headers={"X-Citizen-Token": "AAAAA-AAAAA-AAAAA"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "citizen_secret_wrong"

    op, handler = actor(world.users["op"]), actor(world.users["h_pt"])
    triage.verify(report, op)
    handling.accept(report, handler)
    handling.request_info(report, handler, question="Số nhà?")
    path = f"/api/v1/reports/track/{code}/info"
    for sent, error in (({"text": "Số 7"}, "citizen_secret_required"),
                        ({"text": "Số 7", "citizen_token": "AAAAA-AAAAA-AAAAA"}, "citizen_secret_wrong")):
        r = post_json(anon, path, sent)
        assert r.status_code == 403 and r.json()["error"]["code"] == error
        assert r.json()["error"]["message"] and r.json()["error"]["message_en"]
        assert r.json()["error"]["field"] == "citizen_token"
    assert post_json(anon, path, {"text": "Số 7"}, **{"X-Citizen-Token": token}).json()["state"] == "in_progress"

    report.refresh_from_db()
    handling.resolve(report, handler, result_text="Đã vá", photos=[png_bytes()])
    path = f"/api/v1/reports/track/{code}/rate"
    for sent, error in (({"rating": 1, "comment": "Chưa xong"}, "citizen_secret_required"),
                        ({"rating": 1, "comment": "Chưa xong", "citizen_token": "x"}, "citizen_secret_wrong")):
        r = post_json(anon, path, sent)
        assert r.status_code == 403 and r.json()["error"]["code"] == error
    report.refresh_from_db()
    assert report.rating is None and report.state == State.RESOLVED
    r = post_json(anon, path, {"rating": 1, "comment": "Chưa xong", "citizen_token": token.lower()})
    assert r.status_code == 200 and r.json()["state"] == "reopened"


def _assert_secret_absent(text: str, secret: str, report: Report) -> None:
    for needle in (secret, secret.replace("-", ""), report.citizen_secret_hash, "citizen_secret_hash"):
        assert needle not in text


def test_secret_never_in_any_get(world):
    anon = Client()
    body = anon.post("/api/v1/reports/submit", data={
        "category": "traffic", "description": "Ổ gà", "lat": str(world.phan_thiet.lat),
        "lon": str(world.phan_thiet.lon),
        "photos": [SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")]}).json()
    code, token = body["report"]["code"], body["citizen_token"]
    report = Report.objects.get(code=code)
    triage.verify(report, actor(world.users["op"]))  # now listed publicly and in the unit's inbox
    report.refresh_from_db()
    key = apikeys.create_api_key("app")[1]
    operator, handler = Client(), Client()
    operator.force_login(world.users["op"])
    handler.force_login(world.users["h_pt"])
    reads = [
        (anon, f"/api/v1/reports/track/{code}", {}),
        (anon, f"/api/v1/reports/track/{code}", {"X-Citizen-Token": token}),
        (anon, "/api/v1/reports/public", {}), (anon, "/api/v1/reports/public.geojson", {}),
        (anon, f"/phan-anh/cong-khai/{code}", {}), (anon, "/phan-anh/cong-khai", {}),
        (anon, f"/phan-anh/{code}", {}),
        (operator, f"/api/v1/reports/staff/{code}", {}), (operator, "/api/v1/reports/queue?state=assigned", {}),
        (operator, f"/ioc/phan-anh/{code}", {}), (operator, "/ioc/phan-anh?state=assigned", {}),
        (handler, f"/api/v1/reports/staff/{code}", {}), (handler, "/api/v1/reports/inbox", {}),
        (handler, f"/don-vi/phan-anh/{code}", {}), (handler, "/don-vi/phan-anh", {}),
        (anon, f"/open311/v2/requests/{code}.json", {}), (anon, f"/open311/v2/requests/{code}.xml", {}),
        (anon, "/open311/v2/requests.json", {}), (anon, "/open311/v2/requests.xml", {}),
        (anon, f"/open311/v2/requests.json?service_request_id={code}&api_key={key}", {}),
    ]
    from django.contrib.auth import get_user_model

    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("root", password="x"))
    reads.append((admin, f"/admin/reports/report/{report.pk}/change/", {}))
    for client, path, headers in reads:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        text = response.content.decode()
        assert code in text, path  # the read did show this report …
        _assert_secret_absent(text, token, report)  # … but never its secret


# ---------------------------------------------------------------------------------------------
# Pages


def test_confirmation_shows_private_link_and_secret_once(client, world):
    response = client.post("/phan-anh", {
        "category": "traffic", "description": "Ổ gà lớn", "lat": str(world.phan_thiet.lat),
        "lon": str(world.phan_thiet.lon), "public": "on", "idempotency_key": "k-9"})
    report = Report.objects.get()
    location = response["Location"]
    secret = location.partition("?k=")[2]
    assert location == f"/phan-anh/{report.code}?k={secret}" and citizen_secret.matches(report, secret)
    page = client.get(location)
    text = page.content.decode()
    assert 'id="private-link"' in text and f"http://testserver{location}" in text
    assert f'id="citizen-secret">{secret}<' in text and "chỉ hiển thị một lần" in text
    assert page["Cache-Control"] == "private, no-store"
    again = client.get(location).content.decode()
    assert 'id="private-link"' not in again and 'id="submitter-note"' in again  # the box only once
    # Typed on the lookup page together with the tracking code, the secret opens the same page.
    found = client.get("/phan-anh/tra-cuu", {"ma": report.code.lower(), "k": secret.lower()})
    assert found["Location"] == f"/phan-anh/{report.code}?k={secret.lower()}"
    assert client.get(found["Location"]).status_code == 200


def test_status_page_without_secret_is_public_and_has_no_forms(client, world):
    report = make_report(world, State.RESOLVED, result_text="Đã vá")
    secret = give_secret(report)
    text = client.get(f"/phan-anh/{report.code}").content.decode()
    assert "Đã vá" in text and 'id="secret-entry"' in text and 'name="k"' in text
    assert "/danh-gia" not in text  # no rating form
    wrong = client.get(f"/phan-anh/{report.code}?k=AAAAA-AAAAA-AAAAA")
    assert wrong.status_code == 403
    body = wrong.content.decode()
    assert "Mã bí mật không đúng" in body and "/danh-gia" not in body
    mine = client.get(f"/phan-anh/{report.code}?k={secret}").content.decode()
    assert "/danh-gia" in mine and 'id="secret-entry"' not in mine
    client.cookies["django_language"] = "en"
    english = client.get(f"/phan-anh/{report.code}").content.decode()
    assert "Did you send this report?" in english and "Secret code" in english


@pytest.mark.parametrize("path,data", [("danh-gia", {"rating": "1", "comment": "Chưa xong"}),
                                       ("bo-sung", {"answer": "Số 7"})], ids=["rate", "provide_info"])
def test_page_actions_refused_without_the_right_secret(client, world, path, data):
    state = State.RESOLVED if path == "danh-gia" else State.INFO_REQUESTED
    report = make_report(world, state)
    secret = give_secret(report)
    for sent, message in (({}, "cần mã bí mật"), ({"k": "AAAAA-AAAAA-AAAAA"}, "Mã bí mật không đúng")):
        response = client.post(f"/phan-anh/{report.code}/{path}", {**data, **sent})
        assert response.status_code == 403
        assert message in response.content.decode()
    client.cookies["django_language"] = "en"
    english = client.post(f"/phan-anh/{report.code}/{path}", data).content.decode()
    assert "secret code is required" in english
    report.refresh_from_db()
    assert report.state == state and report.rating is None and not report.events.exists()
    done = client.post(f"/phan-anh/{report.code}/{path}", {**data, "k": secret})
    assert done.status_code == 302 and done["Location"] == f"/phan-anh/{report.code}?k={secret}"
    report.refresh_from_db()
    assert report.state != state


def test_page_refuses_synthetic_report_with_a_clear_message(client, world):
    report = make_report(world, State.RESOLVED, synthetic=True)
    text = client.get(f"/phan-anh/{report.code}").content.decode()
    assert "không có mã bí mật" in text and 'name="k"' not in text
    response = client.post(f"/phan-anh/{report.code}/danh-gia", {"rating": "5", "k": "AAAAA-AAAAA-AAAAA"})
    assert response.status_code == 403 and "dữ liệu mô phỏng" in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Open311


def test_open311_post_returns_a_token_that_rates_through_the_native_api(world):
    key = apikeys.create_api_key("app-thu-nghiem")[1]
    anon = Client()
    response = anon.post("/open311/v2/requests.json", {
        "api_key": key, "service_code": "traffic", "description": "Ổ gà", "lat": str(world.phan_thiet.lat),
        "long": str(world.phan_thiet.lon)})
    assert response.status_code == 201
    created = response.json()[0]
    code, token = created["service_request_id"], created["citizen_token"]
    report = Report.objects.get(code=code)
    assert citizen_secret.matches(report, token)
    xml = anon.post("/open311/v2/requests.xml", {
        "api_key": key, "service_code": "traffic", "description": "Đèn tắt", "lat": str(world.phan_thiet.lat),
        "long": str(world.phan_thiet.lon)}).content.decode()
    assert "<citizen_token>" in xml
    handler = actor(world.users["h_pt"])
    triage.verify(report, actor(world.users["op"]))
    handling.accept(report, handler)
    handling.resolve(report, handler, result_text="Đã vá", photos=[png_bytes()])
    r = post_json(anon, f"/api/v1/reports/track/{code}/rate", {"rating": 5}, **{"X-Citizen-Token": token})
    assert r.status_code == 200 and r.json()["state"] == "closed"


def test_codes_and_secrets_use_every_letter_in_every_position():
    """One draw of 5 bits per character (models.random_base32): the tracking code and the secret have
    their format, and every one of the 32 letters turns up in every position (a bit left unused or
    a shifted mask would leave letters or positions out)."""
    import re

    from tinhso.reports.models import TRACKING_ALPHABET, generate_tracking_code

    codes = [generate_tracking_code() for _ in range(3000)]
    assert all(re.fullmatch(r"PA-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", c) for c in codes)
    assert len(set(codes)) == len(codes)
    for position in [3, 4, 5, 6, 7, 9, 10, 11, 12, 13]:
        assert {c[position] for c in codes} == set(TRACKING_ALPHABET)
    secrets = [citizen_secret.new_secret() for _ in range(3000)]
    assert all(re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{5}-){2}[0-9A-HJKMNP-TV-Z]{5}", s) for s in secrets)
    for position in [i for i in range(17) if i not in (5, 11)]:
        assert {s[position] for s in secrets} == set(TRACKING_ALPHABET)
