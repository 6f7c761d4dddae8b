"""Per-process caches on the intake path: the deadline policy and the locator's active-version check.

The test database runs every test inside a transaction, where both caches deliberately load
fresh (uncommitted rows must not be remembered). These tests pretend to be outside a
transaction to exercise the cached path, and check that edits still reach the next caller.
"""

import datetime as dt
from decimal import Decimal

import pytest

from tinhso.geo import boundaries, locator
from tinhso.reports import sla
from tinhso.reports.models import CalendarException, DeadlineRule, Measure


@pytest.fixture
def outside_transaction(monkeypatch):
    monkeypatch.setattr(sla, "_in_transaction", lambda: False)
    monkeypatch.setattr(locator, "_in_transaction", lambda: False)
    sla.forget_policy()
    locator.invalidate()
    yield
    sla.forget_policy()
    locator.invalidate()


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
    monkeypatch.setattr(sla, "POLICY_TTL_SECONDS", 0.0)
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
