"""Per-process caches on the intake path: the deadline policy and the locator's active-version check.

The test database runs every test inside a transaction, where both caches deliberately load
fresh (uncommitted rows must not be remembered). These tests pretend to be outside a
transaction to exercise the cached path, and check that edits still reach the next caller.
"""

import datetime as dt
from decimal import Decimal

import pytest

from tinhso.core import process_cache
from tinhso.geo import boundaries, locator
from tinhso.reports import intake, routing, sla
from tinhso.reports.models import CalendarException, DeadlineRule, HandlingUnit, Measure


def forget_all():
    sla.forget_policy()
    routing._table.forget()
    intake._categories.forget()
    locator.invalidate()


@pytest.fixture
def outside_transaction(monkeypatch):
    for module in (process_cache, intake, routing):
        monkeypatch.setattr(module, "in_transaction", lambda: False)
    monkeypatch.setattr(locator, "_in_transaction", lambda: False)
    forget_all()
    yield
    forget_all()


def test_policy_is_loaded_once_and_reloaded_after_an_edit(db, outside_transaction, django_assert_num_queries,
                                                         django_capture_on_commit_callbacks):
    first = sla.Policy.current()
    with django_assert_num_queries(0):
        assert sla.Policy.current() is first
    with django_capture_on_commit_callbacks(execute=True):
        DeadlineRule.objects.create(severity="normal", step="accept", amount=Decimal(3),
                                    measure=Measure.CALENDAR_HOURS)
    second = sla.Policy.current()
    assert second is not first
    assert second.allowance(None, "normal", "accept") == (Decimal(3), Measure.CALENDAR_HOURS)
    day = dt.date(2031, 5, 5)
    CalendarException.objects.create(date=day, kind=CalendarException.Kind.HOLIDAY, name="test")
    third = sla.Policy.current()
    assert third is not second and not third.calendar.is_working_day(day)


def test_policy_expires_after_the_ttl(db, outside_transaction, monkeypatch):
    first = sla.Policy.current()
    monkeypatch.setattr(sla._policy_cache, "ttl", 0.0)
    assert sla.Policy.current() is not first


def test_inside_a_transaction_the_policy_is_always_fresh(db):
    first = sla.Policy.current()
    assert sla.Policy.current() is not first


def test_locator_checks_the_active_version_at_most_every_few_seconds(db, outside_transaction,
                                                                     django_assert_num_queries, monkeypatch):
    boundaries.ensure_active(out=lambda *a: None)
    index = locator.current_index()
    with django_assert_num_queries(0):
        assert locator.current_index() is index
    monkeypatch.setattr(locator, "VERSION_CHECK_SECONDS", 0.0)
    with django_assert_num_queries(1):  # the check, no rebuild: the version did not change
        assert locator.current_index() is index


def test_locate_commune_returns_the_database_id(db):
    from tinhso.geo.models import Unit

    boundaries.ensure_active(out=lambda *a: None)
    commune = Unit.objects.filter(structure="current", level="commune", province_code="68",
                                  lat__isnull=False).order_by("code").first()
    answer, unit_id = locator.locate_commune(commune.lat, commune.lon)
    assert answer == locator.locate(commune.lat, commune.lon)
    assert unit_id == Unit.objects.get(structure="current", code=answer["commune"]["code"]).pk
    outside, none = locator.locate_commune(21.0285, 105.8542)  # Hà Nội: another province, still located
    assert none == Unit.objects.get(structure="current", code=outside["commune"]["code"]).pk


def test_categories_are_cached_and_a_deactivated_one_is_refused_at_once(world, outside_transaction,
                                                                       django_assert_num_queries):
    assert intake.get_category("traffic") == world.traffic
    with django_assert_num_queries(0):
        assert intake.get_category("traffic") == world.traffic
    world.traffic.active = False
    world.traffic.save()
    with pytest.raises(intake.UserError) as caught:
        intake.get_category("traffic")
    assert caught.value.code == "unknown_category"


def test_routing_table_is_cached_and_follows_edits(world, outside_transaction, django_assert_num_queries):
    first = routing.route(category_id=world.traffic.pk, commune_id=world.phan_thiet.pk, severity="normal")
    with django_assert_num_queries(0):
        again = routing.route(category_id=world.traffic.pk, commune_id=world.phan_thiet.pk, severity="normal")
    assert again == first
    committee = HandlingUnit.objects.get(kind="commune_committee", commune=world.phan_thiet)
    committee.active = False
    committee.save()
    after = routing.route(category_id=world.traffic.pk, commune_id=world.phan_thiet.pk, severity="normal")
    assert first.rule is None and first.unit == committee  # no rule for traffic: the commune's committee
    assert after.unit is None


def test_a_category_added_elsewhere_is_found_at_once(world, outside_transaction):
    from tinhso.reports.models import Category

    assert intake.get_category("traffic") == world.traffic  # the table is now cached
    # Another process (the admin, `tinhso demo`) adds a category: no signal reaches this process.
    Category.objects.bulk_create([Category(code="lighting", name_vi="Chiếu sáng", name_en="Lighting")])
    assert intake.get_category("lighting").code == "lighting"
    with pytest.raises(intake.UserError):
        intake.get_category("no-such-category")
