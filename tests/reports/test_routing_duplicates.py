"""Routing rule order (first match wins, recorded), default committee; duplicates within 250 m; merge."""

import datetime as dt

import pytest

from tests.reports.conftest import actor
from tests.reports.factories import make_report
from tinhso.core.errors import UserError
from tinhso.reports import duplicates, privacy, routing, triage
from tinhso.reports.models import HandlingUnit, RoutingRule, State, UnitKind


def test_default_is_the_communes_committee(world):
    found = routing.route(category_id=world.traffic.pk, commune_id=world.phan_thiet.pk, severity="normal")
    assert found.unit == world.pt and found.rule is None
    found = routing.route(category_id=world.traffic.pk, commune_id=world.mui_ne.pk, severity="normal")
    assert found.unit == world.mn


def test_first_matching_rule_wins_and_is_recorded(world):
    police = HandlingUnit.objects.create(code="ca", name="Công an tỉnh", kind=UnitKind.DEPARTMENT)
    xd = HandlingUnit.objects.create(code="sxd", name="Sở Xây dựng", kind=UnitKind.DEPARTMENT)
    late = RoutingRule.objects.create(order=50, name="traffic anywhere", category=world.traffic, target=xd)
    early = RoutingRule.objects.create(order=20, name="urgent traffic in Phan Thiết", category=world.traffic,
                                       commune=world.phan_thiet, severity="urgent", target=police)
    assert routing.route(category_id=world.traffic.pk, commune_id=world.phan_thiet.pk, severity="urgent").rule == early
    assert routing.route(category_id=world.traffic.pk, commune_id=world.mui_ne.pk, severity="urgent").rule == late
    assert routing.route(category_id=world.traffic.pk, commune_id=world.phan_thiet.pk, severity="normal").rule == late
    early.order = 60
    early.save()
    assert routing.route(category_id=world.traffic.pk, commune_id=world.phan_thiet.pk, severity="urgent").rule == late
    late.active = False
    late.save()
    assert routing.route(category_id=world.traffic.pk, commune_id=world.phan_thiet.pk, severity="urgent").rule == early
    report = make_report(world, State.SUBMITTED, severity="urgent")
    triage.verify(report, actor(world.users["op"]))
    report.refresh_from_db()
    assert report.handling_unit == police and report.routing_rule == early
    forward = report.events.get(action="forward")
    assert forward.data["rule"] == early.pk and forward.data["unit"] == "ca"


def test_health_rule_routes_to_department(world):
    report = make_report(world, State.SUBMITTED, category=world.health)
    triage.verify(report, actor(world.users["op"]))
    assert report.handling_unit == world.syt


def offset(lat, lon, north_m, east_m):
    import math

    return lat + north_m / 111_195.0, lon + east_m / (111_195.0 * math.cos(math.radians(lat)))


def test_duplicates_within_250_m_same_category_last_30_days(world):
    lat, lon = world.phan_thiet.lat, world.phan_thiet.lon
    base = make_report(world, State.ASSIGNED)
    near = make_report(world, State.SUBMITTED, lat=offset(lat, lon, 150, 150)[0], lon=offset(lat, lon, 150, 150)[1])
    edge_lat, edge_lon = offset(lat, lon, 0, 240)
    edge = make_report(world, State.IN_PROGRESS, lat=edge_lat, lon=edge_lon)
    far_lat, far_lon = offset(lat, lon, 0, 270)
    make_report(world, State.SUBMITTED, lat=far_lat, lon=far_lon)  # 270 m: too far
    make_report(world, State.SUBMITTED, category=world.health)  # other category
    make_report(world, State.CLOSED)  # not open
    old = make_report(world, State.SUBMITTED)
    old.created_at = old.created_at - dt.timedelta(days=31)
    old.save()
    found = duplicates.find_nearby(base)
    assert [r.code for r in found] == [near.code, edge.code]
    assert 200 < found[0].distance_m < 230 and 235 < found[1].distance_m < 245


def test_merge_child_keeps_code_and_follows_parent(world):
    parent = make_report(world, State.IN_PROGRESS, unit=world.pt)
    child = make_report(world, State.SUBMITTED)
    op = actor(world.users["op"])
    duplicates.merge(child, parent, op)
    child.refresh_from_db()
    assert child.state == State.MERGED and child.parent == parent and not child.is_open
    view = privacy.public_view(child, citizen=True)
    assert view["code"] == child.code and view["parent"]["code"] == parent.code
    assert view["parent"]["state"] == State.IN_PROGRESS
    with pytest.raises(UserError) as err:
        duplicates.merge(parent, parent, op)
    assert err.value.code == "merge_self"
    # merging into a merged report attaches to the report it follows
    third = duplicates.merge(make_report(world, State.SUBMITTED), child, op)
    assert third.parent == parent
