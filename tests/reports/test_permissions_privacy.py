"""A unit never reads another unit's report (404); contact data only for IOC operators."""

import json

import pytest
from django.test import Client

from tests.reports.conftest import actor, png_bytes
from tests.reports.factories import make_report
from tinhso.core.errors import UserError
from tinhso.reports import handling, intake, privacy, queries, triage
from tinhso.reports.models import State
from tinhso.reports.permissions import get_report_for, visible_reports

CONTACT = ("Trần Thị B", "0987654321", "b@example.org")


def _leaks(payload) -> bool:
    text = json.dumps(payload, default=str, ensure_ascii=False)
    return any(value in text for value in CONTACT)


def test_handler_sees_only_own_unit(world):
    mine = make_report(world, State.ASSIGNED, unit=world.pt)
    theirs = make_report(world, State.ASSIGNED, unit=world.mn)
    h_pt = actor(world.users["h_pt"])
    assert list(visible_reports(h_pt)) == [mine]
    assert get_report_for(h_pt, mine.code) == mine
    with pytest.raises(UserError) as err:
        get_report_for(h_pt, theirs.code)
    assert err.value.status == 404
    assert [r.code for r in queries.unit_inbox(h_pt)] == [mine.code]
    with pytest.raises(UserError) as err:
        queries.operator_queue(h_pt)
    assert err.value.status == 403


def test_unit_loses_sight_after_returning_to_ioc(world):
    report = make_report(world, State.ASSIGNED, unit=world.pt)
    h_pt = actor(world.users["h_pt"])
    handling.return_to_ioc(report, h_pt, reason="Không thuộc thẩm quyền")
    with pytest.raises(UserError) as err:
        get_report_for(h_pt, report.code)
    assert err.value.status == 404


def test_api_other_unit_gets_404_not_403(world):
    theirs = make_report(world, State.ASSIGNED, unit=world.mn)
    client = Client()
    client.force_login(world.users["h_pt"])
    responses = [client.get(f"/api/v1/reports/staff/{theirs.code}"),
                 client.post(f"/api/v1/reports/staff/{theirs.code}/accept", data=json.dumps({"text": ""}),
                             content_type="application/json")]
    for response in responses:
        assert response.status_code == 404, response.content
        assert response.json()["error"]["code"] == "report_not_found"
    theirs.refresh_from_db()
    assert theirs.state == State.ASSIGNED


def test_contact_data_only_in_operator_view(world):
    report = make_report(world, State.IN_PROGRESS, unit=world.pt, verified_at=None)
    assert not _leaks(privacy.public_view(report))
    assert not _leaks(privacy.public_view(report, citizen=True))
    assert not _leaks(privacy.handler_view(report))
    operator = privacy.operator_view(report)
    assert (operator["reporter_name"], operator["reporter_phone"], operator["reporter_email"]) == CONTACT
    assert not _leaks(privacy.view_for(actor(world.users["h_pt"]), report))


def test_contact_data_never_in_handler_or_public_api(world):
    report = make_report(world, State.IN_PROGRESS, unit=world.pt)
    client = Client()
    client.force_login(world.users["h_pt"])
    handler_body = client.get(f"/api/v1/reports/staff/{report.code}").json()
    assert handler_body["code"] == report.code and not _leaks(handler_body)
    assert "reporter_phone" not in handler_body
    anon = Client()
    assert not _leaks(anon.get(f"/api/v1/reports/track/{report.code}").json())
    assert not _leaks(anon.get("/api/v1/reports/public").json())
    op = Client()
    op.force_login(world.users["op"])
    assert op.get(f"/api/v1/reports/staff/{report.code}").json()["reporter_phone"] == CONTACT[1]


def test_description_public_only_after_verification(world):
    report = intake.submit_report(category="traffic", description="Nhà số 7 của ông X lấn chiếm",
                                  lat=world.phan_thiet.lat, lon=world.phan_thiet.lon, photos=[png_bytes()]).report
    public = privacy.public_view(report)
    assert public["description"] is None and public["photos"] == []
    assert privacy.public_view(report, citizen=True)["description"].startswith("Nhà số 7")
    assert report.code not in [r.code for r in queries.public_reports()]
    triage.verify(report, actor(world.users["op"]))
    public = privacy.public_view(report)
    assert public["description"].startswith("Nhà số 7") and len(public["photos"]) == 1
    assert report.code in [r.code for r in queries.public_reports()]


def test_rejected_and_unpublished_reports_stay_private(world):
    rejected = make_report(world, State.SUBMITTED)
    triage.reject(rejected, actor(world.users["op"]), reason="Spam")
    assert privacy.public_view(rejected)["description"] is None
    private = make_report(world, State.IN_PROGRESS, unit=world.pt, public=False)
    codes = [r.code for r in queries.public_reports()]
    assert rejected.code not in codes and private.code not in codes


def test_photo_endpoint_respects_visibility(world):
    report = intake.submit_report(category="traffic", description="x", lat=world.phan_thiet.lat,
                                  lon=world.phan_thiet.lon, photos=[png_bytes()]).report
    photo = report.photos.get()
    anon = Client()
    assert anon.get(f"/api/v1/reports/photos/{photo.token}").status_code == 404
    op = Client()
    op.force_login(world.users["op"])
    response = op.get(f"/api/v1/reports/photos/{photo.token}")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    triage.verify(report, actor(world.users["op"]))
    assert anon.get(f"/api/v1/reports/photos/{photo.token}").status_code == 200
