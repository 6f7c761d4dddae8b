"""Roles are groups with permissions; views check them (not is_staff) within the user's scope.

Regression tests of the security review (issue 9, finding 4): a commune handler could import plan
figures, an IOC operator could hand out roles through memberships in the admin.
"""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from tests.accounts import role_user
from tests.reports.factories import make_report
from tinhso.core import roles
from tinhso.indicators.models import Observation
from tinhso.reports.models import HandlingUnit, Membership, Report, ReportEvent, State, UnitKind
from tinhso.reports.permissions import actor_for_user

PLAN = "bt-nq10-2022"
HEADER = "Year,Indicator,Source,SourceTitle,GeoCode,Value\n"


def _csv(*rows: str, name: str = "figures.csv"):
    upload = io.BytesIO((HEADER + "\n".join(rows) + "\n").encode())
    upload.name = name
    return upload


@pytest.fixture
def demo_accounts(db, tmp_path, monkeypatch):
    """The demo province's accounts, made by the demo set-up (reference data, no reports)."""
    from django.contrib.auth import get_user_model

    from tinhso.core import demo_accounts as store
    from tinhso.indicators import setup as indicators_setup
    from tinhso.reports import setup as reports_setup

    monkeypatch.setattr(store, "_STORE", tmp_path / "demo-accounts.json")  # not the real var/
    monkeypatch.setattr(reports_setup, "DEMO_REPORTS", 0)
    indicators_setup.load_demo(out=lambda *a, **k: None)
    reports_setup.load_demo(out=lambda *a, **k: None)
    return {u.username: u for u in get_user_model().objects.all()}


@pytest.fixture
def units(db):
    from tinhso.geo.models import Unit
    from tinhso.indicators import setup as indicators_setup

    indicators_setup.load_demo(out=lambda *a, **k: None)
    communes = Unit.objects.filter(structure="current", level="commune", province_code="68")
    pt_commune, mn_commune = communes.get(name="Phường Phan Thiết"), communes.get(name="Phường Mũi Né")
    pt = HandlingUnit.objects.create(code="ubnd-phan-thiet", name="UBND Phường Phan Thiết",
                                     kind=UnitKind.COMMUNE_COMMITTEE, commune=pt_commune)
    mn = HandlingUnit.objects.create(code="ubnd-mui-ne", name="UBND Phường Mũi Né",
                                     kind=UnitKind.COMMUNE_COMMITTEE, commune=mn_commune)
    return {"pt": pt, "mn": mn, "pt_commune": pt_commune, "mn_commune": mn_commune}


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- plan import ------------------------------------------------------------------------------------

def test_commune_handler_gets_403_on_plan_import_get_and_post(demo_accounts):
    handler = demo_accounts["handler-commune"]  # a ward official, as `tinhso demo` makes them
    client = _signed_in(handler)
    before = Observation.objects.count()
    assert client.get(f"/ke-hoach/{PLAN}/nhap").status_code == 403
    response = client.post(f"/ke-hoach/{PLAN}/nhap",
                           {"file": _csv("2023,fibre-coverage,seed-000-bt-cau-truc-cds,,legacy:60,77")})
    assert response.status_code == 403
    assert Observation.objects.count() == before
    assert 'id="nhap"' not in client.get(f"/ke-hoach/{PLAN}").content.decode()  # no import form shown
    # The demo planner may.
    planner = _signed_in(demo_accounts["planner-province"])
    assert 'id="nhap"' in planner.get(f"/ke-hoach/{PLAN}").content.decode()
    response = planner.post(f"/ke-hoach/{PLAN}/nhap",
                            {"file": _csv("2023,fibre-coverage,seed-000-bt-cau-truc-cds,,legacy:60,77")})
    assert response.status_code == 302
    assert Observation.objects.count() == before + 1


def test_planner_imports_for_their_commune_only(units):
    planner = role_user("p-pt", "planner", units["pt"])
    client = _signed_in(planner)
    page = client.get(f"/ke-hoach/{PLAN}").content.decode()
    assert 'id="nhap"' in page  # the form is offered
    assert client.get(f"/ke-hoach/{PLAN}/nhap").status_code == 302  # to the form on the plan page
    mine = f"current:{units['pt_commune'].code}"
    response = client.post(f"/ke-hoach/{PLAN}/nhap", {"file": _csv(f"2024,fibre-coverage,seed-000-bt-cau-truc-cds,,{mine},91")})
    assert response.status_code == 302, response.content.decode()[:500]
    saved = Observation.objects.get(unit=units["pt_commune"], indicator__code="fibre-coverage", period=2024)
    assert saved.value == 91 and saved.entered_by == planner
    # One row outside the scope (another commune, the former province): nothing at all is imported.
    before = Observation.objects.count()
    theirs = f"current:{units['mn_commune'].code}"
    response = client.post(f"/ke-hoach/{PLAN}/nhap", {"file": _csv(
        f"2024,mobile-broadband-4g5g,seed-000-bt-cau-truc-cds,,{mine},95",
        f"2024,mobile-broadband-4g5g,seed-000-bt-cau-truc-cds,,{theirs},96",
        "2024,mobile-broadband-4g5g,seed-000-bt-cau-truc-cds,,legacy:60,97")})
    assert response.status_code == 403
    text = response.content.decode()
    assert "phạm vi" in text and "3" in text  # names the rows
    assert Observation.objects.count() == before


def test_province_planner_scope_covers_the_province_and_its_former_provinces(units):
    from tinhso.geo.models import Unit
    from tinhso.indicators import permissions

    planner = role_user("p-province", "planner")
    allowed = permissions.unit_checker(permissions.import_scope(planner))
    assert allowed(units["mn_commune"]) and allowed(Unit.objects.get(structure="legacy", code="60"))
    assert not allowed(Unit.objects.get(structure="current", level="province", code="01"))  # Hà Nội
    commune_only = permissions.unit_checker(permissions.import_scope(role_user("p-pt", "planner", units["pt"])))
    assert commune_only(units["pt_commune"]) and not commune_only(units["mn_commune"])
    assert not commune_only(Unit.objects.get(structure="legacy", code="60"))


def test_planner_without_scope_may_not_import(units):
    """The group alone (no membership) gives the permission but no units: refused."""
    user = role_user("lonely", "administrator")
    user.groups.set([Group.objects.get(name=roles.PLANNER)])
    assert user.has_perm("indicators.import_observations")
    assert _signed_in(user).post(f"/ke-hoach/{PLAN}/nhap").status_code == 403


# --- admin -------------------------------------------------------------------------------------------

def test_operator_cannot_change_groups_or_memberships_in_the_admin(demo_accounts):
    operator, victim = demo_accounts["ioc-operator"], demo_accounts["handler-commune"]
    groups_before = set(victim.groups.values_list("name", flat=True))
    client = _signed_in(operator)
    assert client.get("/admin/").status_code == 200  # the operator does use the admin …
    assert client.get("/admin/reports/routingrule/").status_code == 200
    operators = Group.objects.get(name__in=("operator", "reports-operator"))
    # … but may not give anyone a role: not through the user form, not through a membership.
    response = client.post(f"/admin/auth/user/{victim.pk}/change/",
                           {"username": victim.username, "groups": [operators.pk], "is_active": "on"})
    assert response.status_code == 403
    response = client.post("/admin/reports/membership/add/",
                           {"user": victim.pk, "role": "operator", "unit": "", "active": "on"})
    assert response.status_code == 403
    membership = Membership.objects.get(user=victim)
    response = client.post(f"/admin/reports/membership/{membership.pk}/change/",
                           {"user": victim.pk, "role": "operator", "unit": "", "active": "on"})
    assert response.status_code == 403
    victim.refresh_from_db()
    assert set(victim.groups.values_list("name", flat=True)) == groups_before
    assert list(Membership.objects.filter(user=victim).values_list("role", flat=True)) == ["handler"]


def test_administrator_edits_memberships_which_grant_the_role(units):
    admin = role_user("root", "administrator")
    user = role_user("newcomer", "leader", units["pt"])
    response = _signed_in(admin).post("/admin/reports/membership/add/",
                                      {"user": user.pk, "role": "handler", "unit": units["mn"].pk, "active": "on"})
    assert response.status_code == 302, response.content.decode()[:300]
    user = type(user).objects.get(pk=user.pk)
    assert set(user.groups.values_list("name", flat=True)) == {roles.LEADER, roles.HANDLER}
    assert actor_for_user(user).roles == {"handler"}


def test_staff_flag_opens_nothing(db):
    """is_staff without the admin permission: the admin's sign-in refuses, its pages redirect."""
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("flag", password="pw-flag-1", is_staff=True)
    client = Client()
    response = client.post("/admin/login/", {"username": "flag", "password": "pw-flag-1", "next": "/admin/"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    client.login(username="flag", password="pw-flag-1")
    assert client.get("/admin/").status_code == 302
    assert client.get("/don-vi/phan-anh").status_code == 403
    assert client.get("/api/v1/reports/inbox").status_code == 403


# --- leader --------------------------------------------------------------------------------------------

def _staff_post_routes():
    from tinhso.api import api

    return sorted(path for path, ops in api.get_openapi_schema()["paths"].items()
                  if "post" in ops and path.startswith("/api/v1/reports/staff/"))


def test_leader_reads_their_scope_but_every_post_is_refused(units, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    class W:
        phan_thiet = units["pt_commune"]
        pt = units["pt"]
        from tinhso.reports.models import Category

        traffic = Category.objects.create(code="traffic", name_vi="Giao thông")

    leader = role_user("chairman", "leader", units["pt"])
    mine = make_report(W, State.IN_PROGRESS, unit=units["pt"])
    assigned = make_report(W, State.ASSIGNED, unit=units["pt"])
    theirs = make_report(W, State.IN_PROGRESS, unit=units["mn"])
    client = _signed_in(leader)
    assert client.get("/can-bo").url == "/ioc"  # reads the wall, acts on nothing: lands on the IOC wall
    inbox = client.get("/don-vi/phan-anh")
    assert inbox.status_code == 200 and mine.code in inbox.content.decode()
    assert theirs.code not in inbox.content.decode()
    detail = client.get(f"/don-vi/phan-anh/{mine.code}")
    assert detail.status_code == 200 and 'name="action"' not in detail.content.decode()  # no action forms
    handler_page = _signed_in(role_user("h-pt", "handler", units["pt"])).get(f"/don-vi/phan-anh/{mine.code}")
    assert 'name="action"' in handler_page.content.decode()  # where a handler has them
    body = client.get(f"/api/v1/reports/staff/{mine.code}").json()
    assert body["code"] == mine.code and body["allowed_actions"] == [] and "reporter_phone" not in body
    assert client.get(f"/api/v1/reports/staff/{theirs.code}").status_code == 404
    assert {r["code"] for r in client.get("/api/v1/reports/inbox").json()["results"]} == {mine.code, assigned.code}

    events = ReportEvent.objects.count()
    routes = _staff_post_routes()
    assert len(routes) >= 13
    for report in (mine, assigned):
        for route in routes:
            path = route.replace("{code}", report.code)
            response = client.post(path, json.dumps({"text": "x", "note": "x", "unit": "ubnd-mui-ne",
                                                     "parent": theirs.code, "reason": "x"}),
                                   content_type="application/json")
            assert response.status_code == 403, (path, response.content)
        for action in ("accept", "respond", "request_info", "return_to_ioc", "resolve"):
            response = client.post(f"/don-vi/phan-anh/{report.code}/thao-tac", {"action": action, "note": "x"})
            assert response.status_code == 403, action
    assert client.post(f"/ioc/phan-anh/{mine.code}/thao-tac", {"action": "reject"}).status_code == 403
    assert client.post(f"/ke-hoach/{PLAN}/nhap").status_code == 403
    assert client.post("/admin/reports/category/add/", {"code": "x"}).status_code == 302  # to the admin sign-in
    assert ReportEvent.objects.count() == events
    assert set(Report.objects.values_list("state", flat=True)) == {State.IN_PROGRESS, State.ASSIGNED}


# --- groups and actors -----------------------------------------------------------------------------------

def test_groups_are_written_idempotently_from_the_table(db):
    from django.contrib.auth.models import Permission

    legacy = Group.objects.create(name="reports-operator")
    user = role_user("old-op", "planner")
    user.groups.add(legacy)
    operator = Group.objects.get(name=roles.OPERATOR)
    operator.permissions.add(Permission.objects.get(codename="change_user"))  # a hand edit
    roles.ensure_groups()
    roles.ensure_groups()
    assert set(Group.objects.values_list("name", flat=True)) >= {r.code for r in roles.ROLES}
    assert not Group.objects.filter(name="reports-operator").exists()
    assert user.groups.filter(name=roles.OPERATOR).exists()  # folded into the role group
    assert not operator.permissions.filter(codename="change_user").exists()
    admin_perms = set(Group.objects.get(name=roles.ADMINISTRATOR).permissions.values_list("codename", flat=True))
    assert {"change_user", "change_group", "change_membership", "use_admin"} <= admin_perms
    assert not admin_perms & {"triage_report", "handle_report", "import_observations"}


def test_actor_roles_come_from_group_permissions_not_memberships(units):
    user = role_user("h", "handler", units["pt"])
    assert actor_for_user(user).roles == {"handler"} and actor_for_user(user).unit_ids == {units["pt"].pk}
    user.groups.clear()  # the membership stays, the role is gone
    user = type(user).objects.get(pk=user.pk)
    actor = actor_for_user(user)
    assert actor.roles == frozenset() and not actor.is_staff_actor and actor.unit_ids == frozenset()
    supervisor = actor_for_user(role_user("s", "supervisor", None))
    assert supervisor.roles == {"handler", "supervisor"} and supervisor.province_wide
    operator = actor_for_user(role_user("o", "operator"))
    assert operator.is_operator and operator.province_wide


def test_demo_admin_is_an_administrator_not_a_superuser(db, tmp_path, monkeypatch):
    from tinhso.core import demo_accounts as store
    from tinhso.core import setup as core_setup

    monkeypatch.setattr(store, "_STORE", tmp_path / "demo-accounts.json")
    lines: list[str] = []
    core_setup.load_demo(out=lines.append)
    core_setup.load_demo(out=lines.append)  # idempotent
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.get(username="admin")
    assert not admin.is_superuser and list(admin.groups.values_list("name", flat=True)) == [roles.ADMINISTRATOR]
    client = _signed_in(admin)
    assert client.get("/admin/auth/user/").status_code == 200
    assert client.get("/ioc/phan-anh").status_code == 403  # no case work without a working role
    assert lines[0].startswith("Demo administrator: admin / ") and lines[0].endswith("/admin/")


def test_overdue_notices_skip_a_membership_whose_role_was_taken_away(units):
    from tinhso.reports import sla

    local = role_user("sup-pt", "supervisor", units["pt"])
    role_user("sup-province", "supervisor")
    report = Report(handling_unit=units["pt"])
    assert [u.username for u in sla.supervisors_for(report)] == ["sup-pt"]
    local.groups.clear()  # no longer a supervisor; the membership row stays
    assert [u.username for u in sla.supervisors_for(report)] == ["sup-province"]


def test_a_leaders_scope_does_not_widen_a_handlers(units):
    """Handler of one ward and leader of the province: acts (and reads) in the ward only."""
    user = role_user("both", "handler", units["pt"])
    Membership.objects.create(user=user, role="leader", unit=None)
    actor = actor_for_user(type(user).objects.get(pk=user.pk))
    assert actor.roles == {"handler"} and not actor.province_wide and actor.unit_ids == {units["pt"].pk}
