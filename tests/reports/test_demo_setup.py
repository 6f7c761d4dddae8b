"""The demo set-up: every unit's overdue reports reach a supervisor; the console names the staff pages."""

from __future__ import annotations

import datetime as dt

import pytest

from tinhso.reports import setup, sla
from tinhso.reports.models import HandlingUnit, Membership, Report, Role, State


@pytest.fixture
def demo(db, boundaries_ready, settings, tmp_path, monkeypatch):
    from tinhso.core import demo_accounts

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(demo_accounts, "_STORE", tmp_path / "demo-accounts.json")  # not the real var/
    monkeypatch.setattr(setup, "DEMO_REPORTS", 0)  # reference data and accounts only
    lines: list[str] = []
    setup.load_demo(out=lines.append)
    return lines


def test_overdue_notices_of_any_unit_reach_a_supervisor(demo):
    supervisors = Membership.objects.filter(role=Role.SUPERVISOR, active=True)
    assert supervisors.filter(unit__isnull=True).exists()  # a province-wide supervisor
    home = supervisors.exclude(unit__isnull=True).get().unit
    others = HandlingUnit.objects.exclude(pk=home.pk).exclude(kind="ioc")
    assert others.count() > 6
    category_id = Report._meta.get_field("category").related_model.objects.get(code="traffic").pk
    for unit in (home, others.get(code="so-y-te"), others.filter(kind="commune_committee").first()):
        report = Report(category_id=category_id, handling_unit=unit, lat=0, lon=0, province_code="68",
                        state=State.ASSIGNED, created_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                        updated_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
        found = sla.supervisors_for(report)
        assert found, unit.code
        expected = "supervisor-commune" if unit == home else "supervisor-province"
        assert [u.username for u in found] == [expected]


def test_console_lists_accounts_with_their_pages(demo):
    text = "\n".join(demo)
    assert "/dang-nhap" in text
    operator = next(line for line in demo if line.startswith("Demo operator: ioc-operator"))
    assert operator.endswith("/ioc/phan-anh")
    for name in ("handler-commune", "supervisor-commune", "handler-so-y-te", "supervisor-province"):
        line = next(line for line in demo if f": {name} / " in line)
        assert line.endswith("/don-vi/phan-anh")
    for name in ("leader-commune", "leader-province"):  # leaders look at the IOC wall
        assert next(line for line in demo if f": {name} / " in line).endswith("/ioc")
    assert next(line for line in demo if ": planner-province / " in line).endswith("/ke-hoach")


def test_one_demo_account_per_role_holds_its_role(demo):
    """Every role of tinhso.core.roles but the administrator (core's demo step) has a demo account
    in its group, and the account's rights come from the group (no superuser, no staff flag needed)."""
    from django.contrib.auth import get_user_model

    from tinhso.core import roles

    users = get_user_model().objects.filter(username__in=[line.split(": ", 1)[1].split(" / ")[0]
                                                          for line in demo if line.startswith("Demo ")])
    held = {g for u in users for g in u.groups.values_list("name", flat=True)}
    assert held == {r.code for r in roles.ROLES} - {roles.ADMINISTRATOR}
    assert not users.filter(is_superuser=True).exists()


def test_department_demo_account_sees_its_agency_dossiers(demo, settings, tmp_path):
    """The demo's department official (handler-so-y-te) is a member of the dossiers agency of the same
    code, so /dich-vu-cong lists that department's dossiers to them (and only them); before, the account
    had no AgencyMember row and was refused every dossier list."""
    from django.contrib.auth import get_user_model

    from tinhso.dossiers import access, service
    from tinhso.dossiers import setup as dossiers_setup

    settings.DOSSIER_STORE_DIR = tmp_path / "store"
    dossiers_setup.load_demo(out=demo.append, count=400)
    user = get_user_model().objects.get(username="handler-so-y-te")
    allowed = access.agencies_for(user)
    assert allowed == ["so-y-te"]
    listed = service.list_dossiers(access.restrict({}, allowed))
    assert listed["total"] > 0 and {item["agency"] for item in listed["items"]} == {"so-y-te"}
    assert dossiers_setup.demo_members() == 0  # idempotent
