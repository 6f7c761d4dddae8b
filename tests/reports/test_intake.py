"""Intake: validation at the edge, idempotency, EXIF stripping, auto-forward."""

import io

import pytest
from PIL import Image

from tests.reports.conftest import jpeg_with_exif, png_bytes
from tinhso.core.errors import UserError
from tinhso.reports import intake
from tinhso.reports.models import Photo, Report, ReportEvent, State


def submit(w, **kw):
    args = dict(category="traffic", description="Ổ gà lớn trước số 12", lat=w.phan_thiet.lat, lon=w.phan_thiet.lon)
    args.update(kw)
    return intake.submit_report(**args)


def test_submit_locates_commune_and_records_event(world):
    result = submit(world, reporter_name="Nguyễn Văn A", reporter_phone="0912 345 678")
    r = result.report
    assert result.created
    assert r.state == State.SUBMITTED and r.is_open
    assert r.commune == world.phan_thiet and r.province_code == "68"
    assert r.code.startswith("PA-") and len(r.code) == 14
    assert r.accept_due > r.created_at
    events = list(r.events.values_list("action", "to_state"))
    assert events == [("submit", "submitted")]


@pytest.mark.parametrize("lat,lon,code", [
    ("abc", 108.1, "bad_coordinates"),
    (95, 108.1, "bad_coordinates"),
    (10.9, 200, "bad_coordinates"),
    ("", 108.1, "bad_coordinates"),
    (21.0285, 105.8542, "outside_province"),  # Hà Nội
])
def test_bad_or_outside_coordinates(world, lat, lon, code):
    with pytest.raises(UserError) as err:
        submit(world, lat=lat, lon=lon)
    assert err.value.code == code and err.value.status == 400
    assert Report.objects.count() == 0


@pytest.mark.parametrize("lat,lon,vi,en", [
    ("abc", 108.1, "Vĩ độ (lat) không hợp lệ: “abc” không phải một số.", "Latitude (lat) is not a number: 'abc'."),
    ("", 108.1, "Vĩ độ (lat) không hợp lệ: còn trống.", "Latitude (lat) is missing."),
    (10.9, 200, "Kinh độ (lon) = 200.0 nằm ngoài khoảng [-180, 180].", "Longitude (lon) = 200.0 is outside [-180, 180]."),
])
def test_a_bad_coordinate_is_named_as_a_reader_knows_it(world, lat, lon, vi, en):
    with pytest.raises(UserError) as err:
        submit(world, lat=lat, lon=lon)
    assert (err.value.message_vi, err.value.message_en) == (vi, en)


def test_unknown_category_and_description_rules(world):
    with pytest.raises(UserError) as err:
        submit(world, category="nope")
    assert err.value.code == "unknown_category" and err.value.field == "category"
    with pytest.raises(UserError) as err:
        submit(world, description="   ")
    assert err.value.code == "description_required"
    with pytest.raises(UserError) as err:
        submit(world, description="x" * 4001)
    assert err.value.code == "description_too_long" and err.value.details["length"] == 4001
    ok = submit(world, description="ê" * 4000)
    assert len(ok.report.description) == 4000


def test_description_is_nfc_and_keeps_line_breaks(world):
    decomposed = "Đường Tre\u0302̀n Hưng Đạo\nhỏng đèn"
    r = submit(world, description=decomposed).report
    assert r.description == "Đường Trền Hưng Đạo\nhỏng đèn"


def test_wrong_file_type_by_content(world):
    fake = io.BytesIO(b"%PDF-1.4 not an image")
    fake.name = "photo.jpg"
    with pytest.raises(UserError) as err:
        submit(world, photos=[fake])
    assert err.value.code == "photo_type"
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    with pytest.raises(UserError) as err:
        submit(world, photos=[gif.getvalue()])
    assert err.value.code == "photo_type"
    assert Report.objects.count() == 0


def test_photo_over_10_mb_and_too_many(world):
    with pytest.raises(UserError) as err:
        submit(world, photos=[b"\xff\xd8" + b"0" * (10 * 1024 * 1024)])
    assert err.value.code == "photo_too_large"
    with pytest.raises(UserError) as err:
        submit(world, photos=[png_bytes()] * 6)
    assert err.value.code == "too_many_photos"


def test_exif_is_stripped(world):
    original = jpeg_with_exif()
    assert b"SecretPhone" in original
    with Image.open(io.BytesIO(original)) as im:
        assert im.getexif().get(0x8825)
    r = submit(world, photos=[original, png_bytes()]).report
    photos = list(r.photos.all())
    assert [p.mime for p in photos] == ["image/jpeg", "image/png"]
    stored = photos[0].file.read()
    assert b"SecretPhone" not in stored and b"ACME" not in stored
    with Image.open(io.BytesIO(stored)) as im:
        assert len(im.getexif()) == 0
        assert im.size == (64, 48)


def test_idempotency_returns_first_report(world):
    first = submit(world, idempotency_key="abc-123", idempotency_scope="api:t:client-1")
    again = submit(world, idempotency_key="abc-123", idempotency_scope="api:t:client-1", description="other text")
    assert first.created and not again.created
    assert again.report.pk == first.report.pk
    assert Report.objects.count() == 1
    other_scope = submit(world, idempotency_key="abc-123", idempotency_scope="client:99")
    assert other_scope.created and Report.objects.count() == 2


def test_auto_forward_category_goes_straight_to_committee(world):
    r = submit(world, category="environment").report
    assert r.state == State.ASSIGNED
    assert r.handling_unit == world.pt and r.routing_rule is None
    assert list(r.events.values_list("action", flat=True)) == ["submit", "auto_assign"]


def test_failed_submission_leaves_nothing(world):
    before = (Report.objects.count(), ReportEvent.objects.count(), Photo.objects.count())
    with pytest.raises(UserError):
        submit(world, photos=[png_bytes(), b"garbage"])
    assert (Report.objects.count(), ReportEvent.objects.count(), Photo.objects.count()) == before


def test_contact_validation(world):
    with pytest.raises(UserError) as err:
        submit(world, reporter_email="not-an-email")
    assert err.value.field == "reporter_email"
    with pytest.raises(UserError) as err:
        submit(world, reporter_phone="call me")
    assert err.value.field == "reporter_phone"
