"""The citizen form's errors in one round (error summary, aria) and the statistics page's date range,
period note, chart data and unit order."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.reports.factories import make_report
from tests.reports.test_pages import html, submit_form
from tinhso.reports.models import Report, State


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def summary_links(text: str) -> list[str]:
    box = re.search(r'<div class="error-summary".*?</div>', text, re.S)
    assert box, "no error summary"
    assert 'tabindex="-1"' in box.group(0)
    return re.findall(r'<a href="#([\w-]+)">', box.group(0))


def field_flagged(text: str, field_id: str) -> bool:
    """The field says it is invalid and points at its message, which exists."""
    tag = re.search(rf'<(?:input|select|textarea)[^>]*id="{field_id}"[^>]*>', text)
    return bool(tag and 'aria-invalid="true"' in tag.group(0)
                and f'aria-describedby="{field_id}_error"' in tag.group(0) and f'id="{field_id}_error"' in text)


# ---------------------------------------------------------------------------------------------
# The report form: every field's error at once


@pytest.mark.django_db
def test_empty_form_flags_category_description_and_position_at_once(client, world):
    response = client.post("/phan-anh", {"idempotency_key": "k-empty"})
    assert response.status_code == 400
    text = html(response)
    assert summary_links(text) == ["id_category", "id_description", "id_lat"]
    assert 'data-field="category">Chọn lĩnh vực của phản ánh.' in text
    assert 'data-field="description">Cần mô tả nội dung phản ánh.' in text
    assert 'data-field="lat">Chọn vị trí' in text
    for field_id in ("id_category", "id_description", "id_lat"):
        assert field_flagged(text, field_id), field_id
    assert not field_flagged(text, "id_reporter_phone")
    assert Report.objects.count() == 0


@pytest.mark.django_db
def test_bad_phone_and_bad_email_and_missing_description_together(client, world):
    data = submit_form(world, description="", reporter_phone="abc", reporter_email="not-an-email")
    text = html(client.post("/phan-anh", data))
    assert summary_links(text) == ["id_description", "id_reporter_phone", "id_reporter_email"]
    assert 'data-field="reporter_phone">Số điện thoại không hợp lệ' in text
    assert 'data-field="reporter_email">Địa chỉ email không hợp lệ' in text
    assert field_flagged(text, "id_reporter_phone") and field_flagged(text, "id_reporter_email")
    assert 'value="Lê Văn C"' in text and 'value="abc"' in text and 'value="not-an-email"' in text  # typed values kept
    assert '<option value="traffic" selected>' in text


@pytest.mark.django_db
def test_position_outside_the_province_and_a_bad_photo_come_with_the_other_errors(client, world):
    data = submit_form(world, description=" ", lat="21.0285", lon="105.8542")  # Hà Nội
    data["photos"] = [SimpleUploadedFile("virus.jpg", b"MZ not an image", content_type="image/jpeg")]
    text = html(client.post("/phan-anh", data))
    assert summary_links(text) == ["id_description", "id_lat", "id_photos"]
    assert 'data-field="lat">Vị trí này thuộc thành phố Hà Nội' in text
    assert 'data-field="photos">Tệp virus.jpg không phải ảnh JPEG, PNG hoặc WebP.' in text
    assert "Chọn lại ảnh" in text  # photos must be chosen again


@pytest.mark.django_db
def test_errors_in_english(client, world):
    client.cookies["django_language"] = "en"
    text = html(client.post("/phan-anh", submit_form(world, category="", description="",
                                                     reporter_phone="abc", reporter_email="x@")))
    assert "There is a problem: correct it before sending" in text
    for message in ("Choose the category of the report.", "A description is required.", "Invalid phone number",
                    "Invalid e-mail"):
        assert message in text


@pytest.mark.django_db
def test_a_good_form_still_makes_one_report(client, world):
    response = client.post("/phan-anh", submit_form(world))
    assert response.status_code == 302 and Report.objects.count() == 1
    assert "error-summary" not in html(client.get("/phan-anh"))


# ---------------------------------------------------------------------------------------------
# Statistics


@pytest.mark.django_db
def test_reversed_dates_say_so_next_to_the_fields_in_the_pages_language(client, world):
    response = client.get("/phan-anh/thong-ke", {"since": "2026-11-30", "until": "2026-11-01"})
    assert response.status_code == 400
    text = html(response)
    error = re.search(r'<span class="error" role="alert" id="stats-until-error">(.*?)</span>', text).group(1)
    assert error.startswith("“Đến ngày” (01/11/2026) là trước “Từ ngày” (30/11/2026)")
    assert 'aria-describedby="stats-until-error"' in text
    assert 'id="stats-range-error"' in text and "<table" not in text  # no silent zeros
    client.cookies["django_language"] = "en"
    text = html(client.get("/phan-anh/thong-ke", {"since": "2026-11-30", "until": "2026-11-01"}))
    assert "“To” (01 Nov 2026) is before “From” (30 Nov 2026)" in text
    # The same day at both ends is a valid one-day period.
    assert client.get("/phan-anh/thong-ke", {"since": "2026-11-01", "until": "2026-11-01"}).status_code == 200


@pytest.mark.django_db
def test_overdue_backlog_is_marked_as_now_in_both_languages(client, world):
    make_report(world, State.IN_PROGRESS)
    text = html(client.get("/phan-anh/thong-ke"))
    assert "<th>Tồn đọng quá hạn (hiện tại)</th>" in text
    assert 'data-label="Tồn đọng quá hạn (hiện tại)"' in text
    assert "không phụ thuộc khoảng ngày đã chọn" in text
    client.cookies["django_language"] = "en"
    text = html(client.get("/phan-anh/thong-ke"))
    assert "<th>Overdue backlog (now)</th>" in text and "whatever the chosen dates" in text


@pytest.mark.django_db
def test_units_busiest_first_all_rendered_and_chart_data(client, world, settings):
    from tinhso.reports import pages

    make_report(world, State.IN_PROGRESS, unit=world.mn)
    for _ in range(3):
        make_report(world, State.IN_PROGRESS, unit=world.pt, category=world.health)
    text = html(client.get("/phan-anh/thong-ke"))
    units = text[text.index('id="stats-units"'):]
    names = re.findall(r'<th scope="row" class="card-title">(.*?)</th>', units)
    assert names[:2] == ["UBND Phường Phan Thiết", "UBND Phường Mũi Né"]  # 3 received, then 1
    chart = json.loads(re.search(r'<script id="stats-chart-data" type="application/json">(.*?)</script>',
                                 text).group(1))
    assert chart["rows"][0]["received"] == 3 and chart["labels"]["on_time"] == "Đúng hạn"
    assert 'id="unit-tools"' not in text  # two units: nothing to fold
    settings_shown = pages.STATS_UNITS_SHOWN
    try:
        pages.STATS_UNITS_SHOWN = 1
        text = html(client.get("/phan-anh/thong-ke", {"since": "2000-01-01"}))
        # The tools start hidden (the script shows them); every row is in the page for readers without it.
        assert re.search(r'<div class="stats-tools" id="unit-tools"[^>]* hidden', text)
        assert text[text.index('id="stats-units"'):].count('class="card-title"') == 2
    finally:
        pages.STATS_UNITS_SHOWN = settings_shown
