"""The merged Lâm Đồng view: former provinces combined where the aggregation rule allows."""

from __future__ import annotations

import pytest
from django.test import Client

from tinhso.core.errors import UserError
from tinhso.indicators import merged, setup
from tinhso.indicators.models import Indicator, Source, WeightValue
from tinhso.indicators.observations import ObservationInput, record, resolve_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    setup.load_demo(out=lambda *a, **k: None)


@pytest.fixture
def test_source():
    return Source.objects.create(key="test-source", title="Test figures", url="https://example.org/t")


def _obs(code, unit, period, value, source):
    record(ObservationInput(indicator=Indicator.objects.get(code=code), unit=resolve_unit(unit), period=period,
                            value=value, source=source), entered_by_name="test")


def _series(view, code):
    return {y["period"]: y for y in next(i for i in view["indicators"] if i["code"] == code)["series"]}


def test_lam_dong_is_formed_from_three_former_provinces(demo):
    view = merged.merged_view("current:68")
    assert {f["ref"] for f in view["formers"]} == {"legacy:60", "legacy:67", "legacy:68"}


def test_only_bình_thuận_reported_so_the_year_is_incomplete(demo):
    view = merged.merged_view("current:68", indicator_codes=["fibre-coverage"])
    year = _series(view, "fibre-coverage")[2024]
    assert year["status"] == merged.INCOMPLETE and year["value"] is None
    assert {m["unit"] for m in year["missing"]} == {"legacy:67", "legacy:68"}


def test_weighted_mean_uses_sourced_weights_and_shows_them(demo, test_source):
    for unit, value, households in [("legacy:67", 70, 200_000), ("legacy:68", 85, 400_000)]:
        _obs("fibre-coverage", unit, 2024, value, test_source)
        WeightValue.objects.create(name="households", unit=resolve_unit(unit), period=2023, value=households,
                                   source=test_source, entered_by_name="test")
    view = merged.merged_view("current:68", indicator_codes=["fibre-coverage"])
    year = _series(view, "fibre-coverage")[2024]
    assert year["status"] == merged.WEIGHTS_MISSING and year["missing_weights"] == ["legacy:60"]
    WeightValue.objects.create(name="households", unit=resolve_unit("legacy:60"), period=2024, value=400_000,
                               source=test_source, entered_by_name="test")
    year = _series(merged.merged_view("current:68", indicator_codes=["fibre-coverage"]), "fibre-coverage")[2024]
    assert year["status"] == merged.COMBINED
    assert year["value"] == pytest.approx((92 * 400_000 + 70 * 200_000 + 85 * 400_000) / 1_000_000)
    weights = {p["unit"]: (p["weight"], p["weight_period"]) for p in year["parts"]}
    assert weights["legacy:67"] == (200_000, 2023)  # the latest earlier weight, with its year
    assert all("Test figures" in p["weight_source"] for p in year["parts"])


def test_sum_and_not_comparable(demo, test_source):
    for unit, teams in [("legacy:60", 300), ("legacy:67", 200), ("legacy:68", 250)]:
        _obs("community-digital-teams", unit, 2023, teams, test_source)
        _obs("online-services-full", unit, 2023, 100, test_source)
    view = merged.merged_view("current:68", indicator_codes=["community-digital-teams", "online-services-full"])
    assert _series(view, "community-digital-teams")[2023]["value"] == 750
    not_comparable = _series(view, "online-services-full")[2023]
    assert not_comparable["status"] == merged.NOT_COMPARABLE and not_comparable["value"] is None
    assert len(not_comparable["parts"]) == 3


def test_qualifiers_carry_into_the_combined_value(demo, test_source):
    # Điện Biên is its own sole predecessor: "hơn 1.400 tổ" stays a lower bound.
    year = _series(merged.merged_view("current:11", indicator_codes=["community-digital-teams"]),
                   "community-digital-teams")[2023]
    assert year["status"] == merged.COMBINED and year["value"] == 1400 and year["qualifier"] == ">"


def test_unknown_unit_or_indicator_is_a_user_error(demo):
    with pytest.raises(UserError):
        merged.merged_view("current:99")
    with pytest.raises(UserError):
        merged.merged_view("current:68", indicator_codes=["nope"])


def test_merged_page_and_api(demo):
    html = Client().get("/ke-hoach/bt-nq10-2022/hop-nhat").content.decode()
    assert "Tỉnh Đắk Nông" in html
    assert "Thiếu số liệu của một số tỉnh cũ" in html  # fibre 2024: only Bình Thuận reported
    body = Client().get("/api/v1/indicators/merged", {"unit": "current:68"}).json()
    assert body["unit"]["ref"] == "current:68"


def test_a_zero_weight_is_reported_and_refused_by_the_admin(demo, test_source):
    from django.core.exceptions import ValidationError

    for unit, value, households in [("legacy:67", 70, 0), ("legacy:68", 85, 0), ("legacy:60", 92, 0)]:
        if unit != "legacy:60":
            _obs("fibre-coverage", unit, 2024, value, test_source)
        weight = WeightValue(name="households", unit=resolve_unit(unit), period=2024, value=households,
                             source=test_source, entered_by_name="test")
        with pytest.raises(ValidationError):
            weight.full_clean()
        weight.save()  # written around the admin: the view must still answer
    year = _series(merged.merged_view("current:68", indicator_codes=["fibre-coverage"]), "fibre-coverage")[2024]
    assert year["status"] == merged.BAD_WEIGHTS and year["value"] is None
    assert set(year["bad_weights"]) == {"legacy:60", "legacy:67", "legacy:68"}
