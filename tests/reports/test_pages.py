"""Web pages of field reports through Django's test client: privacy, scoping, form errors, actions."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.utils import timezone

from tests.reports.conftest import actor, jpeg_with_exif, png_bytes
from tests.reports.factories import give_secret, make_report
from tinhso.reports.intake import submit_report
from tinhso.reports.models import Report, ReportEvent, State

CONTACT = ("Trần Thị B", "0987654321", "b@example.org")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The ``world`` fixture creates five users; PBKDF2 would spend ~0.5 s on each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Rate-limit counters live in the process-wide cache: start every test from zero.
    from django.core.cache import cache

    cache.clear()


def submit_form(w, **overrides) -> dict:
    data = {"category": "traffic", "description": "Ổ gà lớn giữa đường Trần Hưng Đạo.",
            "lat": str(w.phan_thiet.lat), "lon": str(w.phan_thiet.lon), "reporter_name": "Lê Văn C",
            "reporter_phone": "0912 345 678", "reporter_email": "", "public": "on",
            "idempotency_key": "k-" + overrides.pop("key", "1")}
    data.update(overrides)
    return data


def html(response) -> str:
    return response.content.decode()


def assert_no_contact(text: str) -> None:
    for value in CONTACT:
        assert value not in text


# ---------------------------------------------------------------------------------------------
# Citizen form


@pytest.mark.django_db
def test_submit_creates_report_and_shows_tracking_code(client, world):
    photo = ("rac.jpg", jpeg_with_exif())
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = submit_form(world)
    data["photos"] = [SimpleUploadedFile(photo[0], photo[1], content_type="image/jpeg")]
    response = client.post("/phan-anh", data)
    assert response.status_code == 302
    report = Report.objects.get()
    assert response["Location"].startswith(f"/phan-anh/{report.code}?k=")  # the private link
    assert report.commune == world.phan_thiet and report.reporter_phone == "0912 345 678"
    assert report.photos.count() == 1
    page = client.get(response["Location"])
    text = html(page)
    assert report.code in text and "Mã theo dõi" in text  # the success message names the code
    assert "Ổ gà lớn" in text  # the holder sees their own text before verification
    assert "0912 345 678" not in text  # but the tracking page never shows contact data
    # The submitter's own (not yet public) photo is served through their private page.
    photo_url = f"/phan-anh/{report.code}/anh/{report.photos.get().token}"
    assert photo_url + "?k=" in text
    assert client.get(f"{photo_url}?{response['Location'].partition('?')[2]}").status_code == 200
    assert client.get(photo_url).status_code == 404  # without the secret: not public yet
    assert client.get(f"/phan-anh/{report.code}/anh/nosuchphotoatall").status_code == 404


@pytest.mark.django_db
def test_same_form_posted_twice_gives_one_report(client, world):
    first = client.post("/phan-anh", submit_form(world, key="same"))
    second = client.post("/phan-anh", submit_form(world, key="same"))
    assert Report.objects.count() == 1
    # Same report and the same secret (kept in the browser's session): the first link, e.g. the
    # one e-mailed in the acknowledgement, keeps working.
    code = Report.objects.get().code
    assert first["Location"].startswith(f"/phan-anh/{code}?k=") and second["Location"] == first["Location"]
    assert client.get(second["Location"]).status_code == 200


@pytest.mark.django_db
def test_missing_description_shown_next_to_field_with_input_kept(client, world):
    response = client.post("/phan-anh", submit_form(world, description="  "))
    assert response.status_code == 400
    text = html(response)
    assert 'data-field="description">Cần mô tả nội dung phản ánh.' in text
    assert 'value="Lê Văn C"' in text and f'value="{world.phan_thiet.lat}"' in text
    assert '<option value="traffic" selected>' in text
    assert Report.objects.count() == 0


@pytest.mark.django_db
def test_position_outside_province_is_an_error_on_the_position(client, world):
    response = client.post("/phan-anh", submit_form(world, lat="21.0285", lon="105.8542"))  # Hà Nội
    assert response.status_code == 400
    assert 'data-field="lat">Vị trí này thuộc thành phố Hà Nội, ngoài tỉnh Lâm Đồng.' in html(response)


@pytest.mark.django_db
def test_missing_position_and_bad_phone_errors(client, world):
    text = html(client.post("/phan-anh", submit_form(world, lat="", lon="")))
    assert 'data-field="lat">Chọn vị trí' in text
    text = html(client.post("/phan-anh", submit_form(world, reporter_phone="abc")))
    assert 'data-field="reporter_phone">Số điện thoại không hợp lệ' in text


@pytest.mark.django_db
def test_photo_that_is_not_an_image_is_refused_in_english_too(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = submit_form(world)
    data["photos"] = [SimpleUploadedFile("virus.jpg", b"MZ not an image", content_type="image/jpeg")]
    client.cookies["django_language"] = "en"
    response = client.post("/phan-anh", data)
    assert response.status_code == 400
    text = html(response)
    assert 'data-field="photos">File virus.jpg is not a JPEG, PNG or WebP image.' in text
    assert Report.objects.count() == 0


@pytest.mark.django_db
def test_citizen_form_is_rate_limited_per_ip(client, world, settings):
    settings.REPORTS_RATE_LIMITS = {"submit": 1}
    assert client.post("/phan-anh", submit_form(world, key="a")).status_code == 302
    second = client.post("/phan-anh", submit_form(world, key="b"))
    assert second.status_code == 429 and "yêu cầu mỗi phút" in html(second)
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_lookup_by_code(client, world):
    report = make_report(world)
    response = client.get("/phan-anh/tra-cuu", {"ma": report.code.lower()})
    assert response.status_code == 302 and response["Location"] == f"/phan-anh/{report.code}"
    missing = client.get("/phan-anh/tra-cuu", {"ma": "PA-00000-00000"})
    assert missing.status_code == 404 and "PA-00000-00000" in html(missing)


# ---------------------------------------------------------------------------------------------
# Privacy


@pytest.mark.django_db
def test_contact_data_on_ioc_page_only(client, world):
    report = make_report(world, State.ASSIGNED, verified_at=None)
    client.force_login(world.users["op"])
    ioc = client.get(f"/ioc/phan-anh/{report.code}")
    assert ioc.status_code == 200
    for value in CONTACT:
        assert value in html(ioc)
    client.force_login(world.users["h_pt"])
    unit = client.get(f"/don-vi/phan-anh/{report.code}")
    assert unit.status_code == 200 and report.description in html(unit)
    assert_no_contact(html(unit))
    client.logout()
    assert_no_contact(html(client.get(f"/phan-anh/{report.code}")))


@pytest.mark.django_db
def test_public_pages_list_only_checked_reports_without_personal_data(client, world):
    checked = make_report(world, State.IN_PROGRESS, description="Cây đổ chắn đường", synthetic=True)
    triage_free = make_report(world, State.SUBMITTED, description="Chưa kiểm tra")
    private = make_report(world, State.IN_PROGRESS, description="Không công khai", public=False)
    checked.verified_at = private.verified_at = checked.created_at
    checked.save()
    private.save()
    text = html(client.get("/phan-anh/cong-khai"))
    assert checked.code in text and "Cây đổ chắn đường" in text
    assert triage_free.code not in text and private.code not in text
    assert "data-synthetic" in text  # synthetic demo rows are labelled
    assert_no_contact(text)
    detail = client.get(f"/phan-anh/cong-khai/{checked.code}")
    assert detail.status_code == 200
    assert_no_contact(html(detail))
    assert client.get(f"/phan-anh/cong-khai/{triage_free.code}").status_code == 404


@pytest.mark.django_db
def test_public_list_keeps_to_the_commune_a_public_wall_polygon_opens(client, world):
    here = make_report(world, State.IN_PROGRESS, description="Ổ gà ở Phan Thiết", verified_at=timezone.now())
    there = make_report(world, State.IN_PROGRESS, description="Ổ gà ở Phan Thiết, gửi từ Mũi Né",
                        commune=world.mui_ne, lat=world.mui_ne.lat, lon=world.mui_ne.lon, verified_at=timezone.now())
    both = html(client.get("/phan-anh/cong-khai?q=ổ gà"))
    assert here.code in both and there.code in both  # a search by text alone finds both
    page = client.get(f"/phan-anh/cong-khai?commune={world.mui_ne.code}&q=ổ gà&status=open")
    text = html(page)
    assert page.status_code == 200 and there.code in text and here.code not in text
    assert "Phường Mũi Né" in text and f'name="commune" value="{world.mui_ne.code}"' in text
    # The map reads the same commune; the link that drops it keeps the other filters.
    assert f"public.geojson?status=open&amp;q=%E1%BB%95+g%C3%A0&amp;commune={world.mui_ne.code}" in text
    clear = text.split('id="public-commune-clear"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert clear == "?status=open&amp;q=%E1%BB%95+g%C3%A0"
    points = client.get(f"/api/v1/reports/public.geojson?commune={world.mui_ne.code}").json()
    assert [f["properties"]["code"] for f in points["features"]] == [there.code]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "All communes and wards" in html(client.get(f"/phan-anh/cong-khai?commune={world.mui_ne.code}"))
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    for bad in ("00000", "79"):  # no such commune; a province's code is not a commune's
        refused = client.get(f"/phan-anh/cong-khai?commune={bad}")
        assert refused.status_code == 400 and "commune" in html(refused) and bad in html(refused)


# ---------------------------------------------------------------------------------------------
# Scoping and roles


@pytest.mark.django_db
def test_unit_sees_only_its_own_reports(client, world):
    mine = make_report(world, State.ASSIGNED, unit=world.pt)
    theirs = make_report(world, State.ASSIGNED, unit=world.mn)
    client.force_login(world.users["h_pt"])
    inbox = html(client.get("/don-vi/phan-anh"))
    assert mine.code in inbox and theirs.code not in inbox
    assert client.get(f"/don-vi/phan-anh/{theirs.code}").status_code == 404
    post = client.post(f"/don-vi/phan-anh/{theirs.code}/thao-tac", {"action": "accept"})
    assert post.status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == State.ASSIGNED


@pytest.mark.django_db
def test_staff_pages_need_login_and_role(client, world):
    response = client.get("/ioc/phan-anh")
    assert response.status_code == 302 and response["Location"].startswith("/dang-nhap?next=")
    client.force_login(world.users["h_pt"])
    assert client.get("/ioc/phan-anh").status_code == 403
    client.force_login(world.users["op"])
    assert client.get("/don-vi/phan-anh").status_code == 403
    assert client.get("/ioc/phan-anh").status_code == 200


@pytest.mark.django_db
def test_login_page_signs_in_and_lands_on_role_page(client, world):
    response = client.post("/dang-nhap", {"username": "h_pt", "password": "x-h_pt"})
    assert response.status_code == 302 and response["Location"] == "/can-bo"
    assert client.get("/can-bo")["Location"] == "/don-vi/phan-anh"
    client.logout()
    wrong = client.post("/dang-nhap", {"username": "h_pt", "password": "nope"})
    assert wrong.status_code == 200 and "không đúng" in html(wrong)


# ---------------------------------------------------------------------------------------------
# IOC actions


@pytest.mark.django_db
def test_ioc_queue_puts_overdue_first_with_badge(client, world):
    import datetime as dt

    from django.utils import timezone

    fresh = make_report(world, State.SUBMITTED)
    late = make_report(world, State.SUBMITTED, now=timezone.now() - dt.timedelta(days=20))
    client.force_login(world.users["op"])
    text = html(client.get("/ioc/phan-anh"))
    assert text.index(late.code) < text.index(fresh.code)
    row = text[text.index(f'data-code="{late.code}"'):]
    assert 'class="is-overdue"' in text and "badge overdue" in row[:1500]


@pytest.mark.django_db
def test_ioc_verify_forwards_by_routing(client, world):
    report = make_report(world)
    client.force_login(world.users["op"])
    response = client.post(f"/ioc/phan-anh/{report.code}/thao-tac", {"action": "verify", "forward_now": "1"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == State.ASSIGNED and report.handling_unit == world.pt
    assert list(report.events.values_list("action", flat=True)) == ["verify", "forward"]


@pytest.mark.django_db
def test_ioc_reject_needs_reason_then_records_it(client, world):
    report = make_report(world)
    client.force_login(world.users["op"])
    url = f"/ioc/phan-anh/{report.code}/thao-tac"
    refused = client.post(url, {"action": "reject", "reason_kind": "spam", "reason": ""})
    assert refused.status_code == 400
    assert 'data-action="reject" data-field="reason"' in html(refused)
    report.refresh_from_db()
    assert report.state == State.SUBMITTED
    client.post(url, {"action": "reject", "reason_kind": "spam", "reason": "Quảng cáo"})
    report.refresh_from_db()
    assert report.state == State.REJECTED
    event = ReportEvent.objects.get(report=report, action="reject")  # the reason as data, the words as the note
    assert (event.note, event.data) == ("Quảng cáo", {"reason": "spam"})
    assert report.status_note == "Tin rác: Quảng cáo"  # Open311's status_notes: one text, Vietnamese


@pytest.mark.django_db
def test_ioc_correct_position_and_merge(client, world):
    report = make_report(world)
    parent = make_report(world)
    client.force_login(world.users["op"])
    url = f"/ioc/phan-anh/{report.code}/thao-tac"
    client.post(url, {"action": "correct", "category": "traffic", "severity": "normal",
                      "lat": str(world.mui_ne.lat), "lon": str(world.mui_ne.lon)})
    report.refresh_from_db()
    assert report.commune == world.mui_ne
    detail = html(client.get(f"/ioc/phan-anh/{parent.code}"))
    assert "action-merge" in detail
    client.post(url, {"action": "merge", "parent": parent.code.lower()})
    report.refresh_from_db()
    assert report.state == State.MERGED and report.parent == parent


# ---------------------------------------------------------------------------------------------
# Unit actions and the citizen's rating


@pytest.mark.django_db
def test_unit_resolves_only_with_a_result_photo(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    report = make_report(world, State.IN_PROGRESS)
    client.force_login(world.users["h_pt"])
    url = f"/don-vi/phan-anh/{report.code}/thao-tac"
    refused = client.post(url, {"action": "resolve", "result_text": "Đã vá ổ gà."})
    assert refused.status_code == 400
    text = html(refused)
    assert 'data-action="resolve" data-field="photos">Cần ít nhất một ảnh kết quả xử lý.' in text
    assert "Đã vá ổ gà." in text  # the typed result is kept
    photo = SimpleUploadedFile("xong.png", png_bytes(), content_type="image/png")
    done = client.post(url, {"action": "resolve", "result_text": "Đã vá ổ gà.", "photos": [photo]})
    assert done.status_code == 302
    report.refresh_from_db()
    assert report.state == State.RESOLVED and report.photos.filter(kind="result").count() == 1


@pytest.mark.django_db
def test_unit_returns_report_to_ioc_and_loses_it(client, world):
    report = make_report(world, State.ASSIGNED)
    client.force_login(world.users["h_pt"])
    response = client.post(f"/don-vi/phan-anh/{report.code}/thao-tac",
                           {"action": "return_to_ioc", "reason": "Thuộc thẩm quyền Sở GTVT"})
    assert response["Location"] == "/don-vi/phan-anh"
    report.refresh_from_db()
    assert report.state == State.RETURNED_TO_IOC
    assert client.get(f"/don-vi/phan-anh/{report.code}").status_code == 404


@pytest.mark.django_db
def test_citizen_rating_closes_or_requests_reopening(client, world):
    happy = make_report(world, State.RESOLVED, result_text="Đã xử lý")
    unhappy = make_report(world, State.RESOLVED, result_text="Đã xử lý")
    happy_key, unhappy_key = give_secret(happy), give_secret(unhappy)
    page = html(client.get(f"/phan-anh/{happy.code}?k={happy_key}"))
    assert f'action="/phan-anh/{happy.code}/danh-gia"' in page
    done = client.post(f"/phan-anh/{happy.code}/danh-gia", {"rating": "5", "k": happy_key})
    assert done.status_code == 302 and done["Location"] == f"/phan-anh/{happy.code}?k={happy_key}"
    happy.refresh_from_db()
    assert (happy.rating, happy.state) == (5, State.CLOSED)
    assert "danh-gia" not in html(client.get(f"/phan-anh/{happy.code}?k={happy_key}"))
    client.post(f"/phan-anh/{unhappy.code}/danh-gia", {"rating": "1", "comment": "Ổ gà vẫn còn", "k": unhappy_key})
    unhappy.refresh_from_db()
    # Reopened at once: the rating stays in the history (it judged the result being reopened).
    assert (unhappy.rating, unhappy.state) == (None, State.REOPENED)
    assert unhappy.events.get(action="request_reopen").data["rating"] == 1
    again = client.post(f"/phan-anh/{unhappy.code}/danh-gia", {"rating": "5", "k": unhappy_key})
    assert again.status_code == 400


@pytest.mark.django_db
def test_rating_without_choice_is_an_error(client, world):
    report = make_report(world, State.RESOLVED)
    response = client.post(f"/phan-anh/{report.code}/danh-gia", {"comment": "?", "k": give_secret(report)})
    assert response.status_code == 400
    report.refresh_from_db()
    assert report.rating is None


@pytest.mark.django_db
def test_citizen_answers_a_request_for_information(client, world):
    report = make_report(world, State.IN_PROGRESS)
    triage_actor = actor(world.users["h_pt"])
    from tinhso.reports import handling

    handling.request_info(report, triage_actor, question="Ổ gà ở số nhà nào?")
    key = give_secret(report)
    page = html(client.get(f"/phan-anh/{report.code}?k={key}"))
    assert "Ổ gà ở số nhà nào?" in page and "/bo-sung" in page
    empty = client.post(f"/phan-anh/{report.code}/bo-sung", {"answer": "", "k": key})
    assert empty.status_code == 400
    client.post(f"/phan-anh/{report.code}/bo-sung", {"answer": "Trước số 12", "k": key})
    report.refresh_from_db()
    assert report.state == State.IN_PROGRESS


# ---------------------------------------------------------------------------------------------
# Public statistics and the basemap


@pytest.mark.django_db
def test_statistics_page_and_bad_date(client, world):
    submit_report(category="environment", description="Rác", lat=world.phan_thiet.lat, lon=world.phan_thiet.lon)
    text = html(client.get("/phan-anh/thong-ke"))
    assert "UBND Phường Phan Thiết" in text and "/api/v1/reports/stats.csv?by=unit" in text
    bad = client.get("/phan-anh/thong-ke", {"since": "2025-13-01"})
    # The field is named as the page labels it, never by its parameter name.
    assert bad.status_code == 400 and "Từ ngày: ngày “2025-13-01” không hợp lệ" in html(bad)
    assert "since:" not in html(bad)


@pytest.mark.django_db
def test_basemap_has_the_province_communes_only(client, world):
    response = client.get("/phan-anh/ban-do/xa.geojson")
    assert response.status_code == 200
    data = json.loads(response.content)
    names = {f["properties"]["name"] for f in data["features"]}
    assert "Phường Phan Thiết" in names and "Phường Mũi Né" in names
    from tinhso.geo.models import Unit

    province_communes = Unit.objects.filter(structure="current", level="commune", province_code="68").count()
    assert len(names) == province_communes
    assert not any(f["properties"]["code"] == "00004" for f in data["features"])  # Ba Đình, Hà Nội



@pytest.mark.django_db
def test_pages_in_english_via_the_language_cookie(client, world):
    client.cookies["django_language"] = "en"
    text = html(client.get("/phan-anh"))
    assert "Report a problem" in text and "Decree 13/2023" in text
    report = make_report(world, State.RESOLVED)
    text = html(client.get(f"/phan-anh/{report.code}?k={give_secret(report)}"))
    assert "Rate the result" in text and ">Resolved</span>" in text and "Traffic" in text


@pytest.mark.django_db
def test_staff_page_names_channel_and_bare_actors_in_the_readers_language(client, world):
    submission = submit_report(category="traffic", description="Ổ gà", lat=world.phan_thiet.lat,
                               lon=world.phan_thiet.lon, channel="app")
    client.force_login(world.users["op"])
    page = html(client.get(f"/ioc/phan-anh/{submission.report.code}"))
    assert "Kênh: Ứng dụng" in page and "Kênh: app" not in page
    assert "· người dân" in page and "citizen (" not in page
    client.cookies["django_language"] = "en"
    page = html(client.get(f"/ioc/phan-anh/{submission.report.code}"))
    assert "Channel: App" in page and "· citizen" in page and "citizen (" not in page


@pytest.mark.django_db
def test_forwarding_notes_written_by_the_system_read_in_both_languages(client, world):
    """The history is read in Vietnamese and in English: a note tinhso writes itself (an automatic or
    an operator's forward without a note of their own) carries both, the unit's English name in the
    English half."""
    from tinhso.reports import triage
    from tinhso.reports.permissions import actor_for_user

    world.syt.name_en = "Department of Health"
    world.syt.save()
    auto = submit_report(category="environment", description="Khói", lat=world.phan_thiet.lat,
                         lon=world.phan_thiet.lon).report
    manual = make_report(world, State.VERIFIED, category=world.health)
    triage.forward(manual, actor_for_user(world.users["op"]))
    notes = {r.code: r.events.get(action__in=("auto_assign", "forward")).note for r in (auto, manual)}
    assert notes[auto.code] == ("Chuyển tự động đến UBND Phường Phan Thiết. / "
                                "Forwarded automatically to UBND Phường Phan Thiết.")  # no English name: the name
    assert notes[manual.code] == "Chuyển đến Sở Y tế. / Forwarded to Department of Health."
    client.force_login(world.users["op"])
    client.cookies["django_language"] = "en"
    assert "Forwarded to Department of Health." in html(client.get(f"/ioc/phan-anh/{manual.code}"))
