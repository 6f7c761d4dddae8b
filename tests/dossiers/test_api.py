"""/api/v1/dossiers: public indicators equal to the service's; dossier lists and CSV for staff only,
unit staff confined to their agencies."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from tests.dossiers.conftest import PERIOD, write_json
from tests.dossiers.known import AGENCY, KNOWN, ON_TIME_PAUSE, dossier
from tinhso.dossiers import service
from tinhso.dossiers.models import AgencyMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(catalogue, tmp_path):
    other = dict(dossier("Y-1", 10, "01/10/2025 08:00:00", "08/10/2025 08:00:00", "06/10/2025 10:00:00"),
                 DonViXuLy="so-y-te", NguoiXuLy="=cmd|' /C calc'!A0")
    service.import_file(write_json(tmp_path / "r.json", list(KNOWN) + [other]))
    return catalogue


def _user(name: str, *perms: str, agencies=()) -> Client:
    user = User.objects.create_user(name, password="x-" + name)
    for perm in perms:
        user.user_permissions.add(Permission.objects.get(codename=perm, content_type__app_label="dossiers"))
    for code in agencies:
        AgencyMember.objects.create(user=user, agency_id=__import__("tinhso.dossiers.models", fromlist=["Agency"])
                                    .Agency.objects.get(code=code).pk)
    client = Client()
    client.force_login(user)
    return client


def test_indicators_are_public_and_the_same_json_as_the_service(loaded):
    answer = Client().get("/api/v1/dossiers/indicators", {"period": PERIOD, "level": "agency"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["units"] == service.indicators(PERIOD, "agency")["units"]
    justice = next(u for u in body["units"] if u["code"] == AGENCY)
    two_one = justice["indicators"]["2.1"]
    assert (two_one["numerator"], two_one["denominator"]) == ON_TIME_PAUSE
    assert justice["buckets"]["received_online"] == 4


def test_bad_period_and_level_are_400_with_the_field(loaded):
    for params, field in [({"period": "2025-13"}, "period"), ({"period": PERIOD, "level": "x"}, "by")]:
        answer = Client().get("/api/v1/dossiers/indicators", params)
        assert answer.status_code == 400 and answer.json()["error"]["field"] == field


def test_lists_need_a_signed_in_account_with_the_permission(loaded):
    assert Client().get("/api/v1/dossiers/records").status_code == 401
    assert Client().get("/api/v1/dossiers/due-soon").status_code == 401
    nobody = _user("nobody")
    assert nobody.get("/api/v1/dossiers/records").status_code == 403
    assert nobody.get("/api/v1/dossiers/records.csv").status_code == 403
    # the agency permission without a membership opens nothing
    assert _user("lonely", "view_agency_dossiers").get("/api/v1/dossiers/records").status_code == 403


def test_the_list_behind_a_number_matches_its_count(loaded):
    client = _user("ioc", "view_all_dossiers")
    body = client.get("/api/v1/dossiers/records", {"period": PERIOD, "bucket": "finished_late",
                                                    "agency": AGENCY}).json()
    assert sorted(i["ma_ho_so"] for i in body["items"]) == ["HS-03-LATE", "HS-05-TWICE"]
    everything = client.get("/api/v1/dossiers/records", {"page_size": 5, "page": 2}).json()
    assert everything["total"] == len(KNOWN) + 1 and len(everything["items"]) == 5
    assert client.get("/api/v1/dossiers/records", {"bucket": "late"}).status_code == 400
    assert client.get("/api/v1/dossiers/records", {"period": PERIOD, "bucket": "nope"}).status_code == 400
    assert client.get("/api/v1/dossiers/records", {"page_size": 100000}).status_code == 400


def test_unit_staff_see_only_their_agency(loaded):
    client = _user("health", "view_agency_dossiers", agencies=["so-y-te"])
    body = client.get("/api/v1/dossiers/records").json()
    assert [i["ma_ho_so"] for i in body["items"]] == ["Y-1"]
    refused = client.get("/api/v1/dossiers/records", {"agency": AGENCY})
    assert refused.status_code == 403 and refused.json()["error"]["field"] == "agency"
    assert client.get("/api/v1/dossiers/records.csv", {"agency": AGENCY}).status_code == 403
    assert client.get("/api/v1/dossiers/due-soon", {"agency": AGENCY}).status_code == 403


def test_csv_holds_the_same_rows_and_keeps_text_as_text(loaded):
    client = _user("ioc", "view_all_dossiers")
    answer = client.get("/api/v1/dossiers/records.csv", {"period": PERIOD})
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    listed = client.get("/api/v1/dossiers/records", {"period": PERIOD, "page_size": 500}).json()
    assert [r["ma_ho_so"] for r in rows] == [i["ma_ho_so"] for i in listed["items"]]
    assert next(r for r in rows if r["ma_ho_so"] == "Y-1")["officer"].startswith("'=")


def test_csv_over_the_limit_is_refused_not_cut(loaded, monkeypatch):
    from tinhso.dossiers import api

    monkeypatch.setattr(api, "CSV_MAX_ROWS", 3)
    answer = _user("ioc", "view_all_dossiers").get("/api/v1/dossiers/records.csv")
    assert answer.status_code == 413 and answer.json()["error"]["details"]["total"] == len(KNOWN) + 1


def test_due_soon_for_staff(loaded, monkeypatch):
    client = _user("ioc", "view_all_dossiers")
    answer = client.get("/api/v1/dossiers/due-soon", {"hours": 24})
    assert answer.status_code == 200 and answer.json()["count"] >= 0
    assert client.get("/api/v1/dossiers/due-soon", {"hours": 0}).status_code == 400


def test_a_commune_handler_sees_their_committees_dossiers(loaded):
    from tests.accounts import role_user
    from tinhso.dossiers.models import Agency

    committee = Agency.objects.filter(kind="commune").first()
    service.import_file(write_json(loaded.parent / "c.json", [dict(
        dossier("C-1", 4, "01/10/2025 08:00:00", "08/10/2025 08:00:00"), DonViXuLy=committee.code)]))
    from tinhso.reports.models import HandlingUnit, UnitKind

    office = HandlingUnit.objects.create(code="ubnd-x", name=committee.name, kind=UnitKind.COMMUNE_COMMITTEE,
                                         commune=committee.unit)
    client = Client()
    client.force_login(role_user("xa-handler", "handler", office))
    body = client.get("/api/v1/dossiers/records").json()
    assert [i["ma_ho_so"] for i in body["items"]] == ["C-1"]
    planner = Client()
    planner.force_login(role_user("xa-planner", "planner", office))
    assert planner.get("/api/v1/dossiers/records").status_code == 403


def test_the_total_basis_of_missing_indicators_reaches_the_api(loaded):
    from tinhso.dossiers.models import SuppliedValue

    SuppliedValue.objects.filter(indicator="5.2").delete()
    body = Client().get("/api/v1/dossiers/indicators", {"period": PERIOD, "level": "agency"}).json()
    assert body["units"] == service.indicators(PERIOD, "agency")["units"]
    justice = next(u for u in body["units"] if u["code"] == AGENCY)
    assert justice["missing"] == ["5.2"] and justice["total_basis"] == "missing_as_zero"
    assert justice["max_possible"] == 94 and justice["total"] is not None
