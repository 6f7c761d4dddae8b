"""The assessment formulas against hand-computed cases, properties and edge cases (no database)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinhso.core.errors import UserError
from tinhso.indicators import progress
from tinhso.indicators.progress import (
    ACHIEVED,
    AT_RISK,
    DETERIORATING,
    INSUFFICIENT,
    OFF_TRACK,
    ON_TRACK,
    Params,
    assess,
    cagr,
    limit_factor,
    score_with_target,
    score_without_target,
    weighted_linear_fit,
)


@pytest.mark.parametrize("ratio, score", [(0.6, 0.0), (0.95, 2.5), (1.3, 5.0), (2.0, 5.0), (0.0, -2.5),
                                          (-0.6, -5.0), (-3.0, -5.0), (0.3, -1.25)])
def test_score_with_target_published_anchor_points(ratio, score):
    assert score_with_target(ratio) == pytest.approx(score, abs=1e-9)


@pytest.mark.parametrize("v, score", [(0.02, 5.0), (0.015, 2.5), (0.005, 0.0), (0.0, -2.5), (-0.02, -5.0),
                                      (0.01, 1.25), (-0.01, -3.75)])
def test_score_without_target_matches_sdg_build_formulas(v, score):
    # sdg-build: 500v−5 above 1.5 %, 250v−1.25 between, 500v−2.5 below 0.5 %, 125v−2.5 below 0.
    assert score_without_target(v, 1.0) == pytest.approx(score, abs=1e-9)


def test_cagr_hand_computed():
    assert cagr(121, 100, 2022, 2020) == pytest.approx(0.10)
    assert cagr(81, 100, 2, 0) == pytest.approx(-0.10)


@pytest.mark.parametrize("base, limit, factor", [
    (50, 100, 0.953929),   # 1 − 0.5^4.44
    (90, 100, 0.373622),   # 1 − 0.9^4.44: close to the limit, growth counts for more
    (150, 100, 0.953929),  # beyond the limit: 1 − ((2L − B)/L)^4.44
    (200, 100, 1.0),       # far away: no scaling
    (100, 100, 0.0),       # at the limit
    (0, 100, 1.0),
])
def test_natural_limit_factor(base, limit, factor):
    assert limit_factor(base, limit) == pytest.approx(factor, abs=1e-6)


def test_natural_limit_scaling_changes_the_class_near_the_limit():
    # 1 %/yr growth from 90 %: without a limit that is moderate (at risk); with the 100 % limit the
    # thresholds shrink by C = 0.374 and the same growth is on track.
    series = [(2020, 90.0), (2022, 90.0 * 1.01 ** 2)]
    without = assess(series, target=None, target_year=2030, base_year=2020)
    with_limit = assess(series, target=None, target_year=2030, base_year=2020, limit=100)
    assert without.status == AT_RISK
    assert with_limit.status == ON_TRACK
    assert with_limit.forecast["cagr"]["limit_factor"] == pytest.approx(0.373622, abs=1e-6)


def test_quantitative_target_hand_computed():
    # Base 100 (2020) → 121 (2022): CAGR_o = 10 %/yr. Target 2030 needs 20 %/yr: R = 0.5 → off track.
    target = 100 * 1.2 ** 10
    result = assess([(2020, 100.0), (2022, 121.0)], target=target, target_year=2030, base_year=2020)
    cagr_part = result.forecast["cagr"]
    assert cagr_part["ratio"] == pytest.approx(0.5)
    assert result.status == OFF_TRACK
    assert result.score == pytest.approx(-2.5 + 2.5 * 0.5 / 0.6)
    assert cagr_part["projected"] == pytest.approx(121 * 1.1 ** 8)
    assert cagr_part["gap"] == pytest.approx(target - 121 * 1.1 ** 8)
    # Status to date: 21 of the 519.17 required, 2 of 10 years elapsed.
    assert result.to_date["distance_travelled"] == pytest.approx(21 / (target - 100))
    assert result.to_date["expected_share"] == pytest.approx(0.2)
    assert result.to_date["ahead_of_schedule"] is False
    assert "R = sign·d·CAGR_o/|CAGR_r| = 0.500" in result.method


@pytest.mark.parametrize("latest, expected", [(100 * 1.2 ** 2, ON_TRACK), (100 * 1.15 ** 2, AT_RISK),
                                              (100 * 1.05 ** 2, OFF_TRACK), (90.0, DETERIORATING)])
def test_classes_follow_the_thresholds(latest, expected):
    result = assess([(2020, 100.0), (2022, latest)], target=100 * 1.2 ** 10, target_year=2030, base_year=2020)
    assert result.status == expected


def test_thresholds_are_parameters():
    series = [(2020, 100.0), (2022, 100 * 1.15 ** 2)]  # R ≈ 0.77
    target = 100 * 1.2 ** 10
    assert assess(series, target=target, target_year=2030, base_year=2020).status == AT_RISK
    strict = Params(cagr_high=0.7)
    assert assess(series, target=target, target_year=2030, base_year=2020, params=strict).status == ON_TRACK
    with pytest.raises(UserError) as err:
        Params.from_dict({"cagr_hgih": 1})
    assert err.value.code == "unknown_threshold"


@pytest.mark.parametrize("bad", [
    {"cagr_high": 0.6},             # equal to cagr_med: the score divides by the gap
    {"cagr_med": 1.0},              # above cagr_high
    {"notarget_high": 0.005},       # equal to notarget_med
    {"cagr_high": "0.9"},           # text typed in the admin's JSON
    {"zero_replacement": 0},
    {"primary_method": "median"},
])
def test_unusable_thresholds_are_a_clear_error(bad):
    with pytest.raises(UserError) as err:
        Params.from_dict(bad)
    assert err.value.code == "invalid_threshold" and err.value.message_vi and err.value.message_en


def test_lower_is_better_target():
    # Villages without fibre: 200 → 162 in two years (−10 %/yr); 2030 target 50 needs ≈ −12.9 %/yr.
    result = assess([(2020, 200.0), (2022, 162.0)], target=50, target_year=2030, base_year=2020,
                     direction="lower")
    required = (50 / 200) ** (1 / 10) - 1
    assert result.forecast["cagr"]["ratio"] == pytest.approx(-0.1 * -1 / abs(required))
    assert result.status == AT_RISK


def test_achieved_when_latest_meets_target_even_with_one_observation():
    result = assess([(2024, 92.0)], target=80, target_year=2025, base_year=2022, limit=100)
    assert result.status == ACHIEVED and result.score == 5.0
    assert "meets the target" in result.method


def test_strict_comparator_above():
    # "trên 80%": exactly 80 does not meet it.
    assert assess([(2024, 80.0)], target=80, target_year=2030, base_year=2022, comparator=">").status == INSUFFICIENT
    assert assess([(2024, 80.5)], target=80, target_year=2030, base_year=2022, comparator=">").status == ACHIEVED


def test_one_observation_is_insufficient_data():
    result = assess([(2024, 67.0)], target=80, target_year=2030, base_year=2022)
    assert result.status == INSUFFICIENT
    assert result.reason == "one_observation"
    assert result.latest == {"period": 2024, "value": 67.0}


def test_no_observation_is_insufficient_data():
    assert assess([], target=80, target_year=2030, base_year=2022).status == INSUFFICIENT


def test_reported_met_without_figure_is_achieved_and_says_so():
    result = assess([], target=90, target_year=2025, base_year=2022, reported_met=True)
    assert result.status == ACHIEVED
    assert "no figure" in result.method


def test_duplicate_periods_are_a_clear_error():
    with pytest.raises(UserError) as err:
        assess([(2022, 50.0), (2023, 55.0), (2023, 56.0)], target=80, target_year=2025, base_year=2022)
    assert err.value.code == "duplicate_period"
    assert err.value.details == {"period": 2023}
    assert "2023" in err.value.message_en


def test_zero_base_is_replaced_not_divided_by():
    result = assess([(2020, 0.0), (2022, 10.0)], target=50, target_year=2030, base_year=2020)
    growth = (10 / 0.001) ** 0.5 - 1
    required = (50 / 0.001) ** 0.1 - 1
    assert result.forecast["cagr"]["ratio"] == pytest.approx(growth / required)
    assert result.status == ON_TRACK


def test_base_at_the_limit_without_target_is_on_track():
    result = assess([(2020, 100.0), (2022, 100.0)], target=None, target_year=2030, base_year=2020, limit=100)
    assert result.forecast["cagr"]["limit_factor"] == 0.0
    assert result.status == ON_TRACK and result.score == 5.0


def test_base_at_the_target_then_slipping_is_deteriorating():
    result = assess([(2020, 100.0), (2022, 98.0)], target=100, target_year=2030, base_year=2020, limit=100)
    assert result.status == DETERIORATING


def test_opposite_signs_fall_back_to_regression():
    result = assess([(2020, -5.0), (2021, 0.0), (2022, 5.0)], target=20, target_year=2030, base_year=2020)
    assert "undefined" in result.forecast["cagr"]["note"]
    assert result.status == ON_TRACK  # slope 5/yr reaches 20 long before 2030
    assert "regression" in result.method


def test_weighted_regression_hand_computed():
    # Weights 1, 2, 3: weighted slope 1.6, where ordinary least squares gives 1.5.
    points = [(0, 0.0), (1, 1.0), (2, 3.0)]
    assert weighted_linear_fit(points, 1.0)[1] == pytest.approx(1.6)
    assert weighted_linear_fit(points, 0.0)[1] == pytest.approx(1.5)
    intercept, _ = weighted_linear_fit(points, 1.0)
    assert intercept == pytest.approx(11 / 6 - 1.6 * 4 / 3)


def test_regression_projection_gap_and_limit():
    result = assess([(2020, 60.0), (2021, 70.0), (2022, 80.0)], target=95, target_year=2030, base_year=2020,
                    limit=100)
    reg = result.forecast["regression"]
    assert reg["projected"] == 100  # 160 held at the natural limit
    assert reg["gap"] == -5
    assert reg["status"] == ON_TRACK


def test_band_direction():
    inside = assess([(2024, 5.0)], target=4, target_high=6, target_year=2025, base_year=2022, direction="band")
    assert inside.status == ACHIEVED
    closing = assess([(2022, 10.0), (2024, 8.0)], target=4, target_high=6, target_year=2030, base_year=2022,
                     direction="band")
    assert closing.status != ACHIEVED and "band" in closing.method


finite = st.floats(min_value=-1000, max_value=1000, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(finite, min_size=0, max_size=6),
    first_year=st.integers(min_value=2015, max_value=2024),
    target=st.one_of(st.none(), finite),
    direction=st.sampled_from(["higher", "lower"]),
    limit=st.one_of(st.none(), st.floats(min_value=-200, max_value=200, allow_nan=False)),
    reported=st.booleans(),
)
def test_flipping_direction_and_negating_values_keeps_the_class(values, first_year, target, direction, limit,
                                                                reported):
    series = [(first_year + i, v) for i, v in enumerate(values)]
    kwargs = {"target_year": 2030, "base_year": 2018, "reported_met": reported}
    original = assess(series, target=target, direction=direction, limit=limit, **kwargs)
    flipped = assess([(t, -v) for t, v in series], target=None if target is None else -target,
                     direction="lower" if direction == "higher" else "higher",
                     limit=None if limit is None else -limit, **kwargs)
    assert original.status == flipped.status
    if original.score is None:
        assert flipped.score is None
    else:
        assert math.isclose(original.score, flipped.score, rel_tol=1e-9, abs_tol=1e-9)


def test_every_class_has_both_labels():
    assert set(progress.CLASS_LABELS) == set(progress.CLASSES) == set(progress.SEVERITY)
