"""Competition ranks along contiguous rows (issue 15): the same ranks as the column-wise sort they
replaced, on random data full of ties and missing values, in both code paths (packed integer keys with
``decimals``, argsort without)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinhso.indices import sensitivity
from tinhso.indices.ranking import competition_ranks, round_half_up, row_ranks


def column_sort_ranks(values: np.ndarray, decimals: int | None) -> np.ndarray:
    """The implementation before issue 15, kept as the reference: sort each column (axis 0), give
    every position the rank of the first position holding the same value, scatter back."""
    data = np.asarray(values, dtype=float)
    if decimals is not None:
        data = round_half_up(data, decimals)
    missing = np.isnan(data)
    filled = np.where(missing, -np.inf, data)
    order = np.argsort(-filled, axis=0, kind="stable")
    ordered = np.take_along_axis(filled, order, axis=0)
    positions = np.broadcast_to(np.arange(filled.shape[0])[:, None], filled.shape)
    starts_group = np.ones(filled.shape, dtype=bool)
    starts_group[1:] = ordered[1:] != ordered[:-1]
    first_of_group = np.maximum.accumulate(np.where(starts_group, positions, 0), axis=0)
    ranks = np.empty(filled.shape, dtype=np.int64)
    np.put_along_axis(ranks, order, first_of_group + 1, axis=0)
    ranks[missing] = 0
    return ranks


def random_table(rng, units: int, columns: int) -> np.ndarray:
    """Values with many ties: few distinct levels, values that tie only after rounding, NaNs."""
    kind = rng.integers(4)
    if kind == 0:
        x = rng.integers(0, 4, (units, columns)).astype(float)             # heavy exact ties
    elif kind == 1:
        x = np.round(rng.normal(size=(units, columns)) * 1000, 2)
    elif kind == 2:
        x = rng.choice([0.71635, 0.7164, 0.71634, 0.5, -0.5, 0.0], (units, columns))  # ties after rounding
    else:
        x = rng.uniform(-1e6, 1e6, (units, columns))
    if rng.random() < 0.4:
        x[rng.random(x.shape) < 0.25] = np.nan
    if rng.random() < 0.05:
        x[:] = np.nan
    return x


@pytest.mark.parametrize("decimals", [None, 0, 2, 4])
def test_new_ranking_equals_the_column_sort_on_random_tables_with_ties(decimals):
    rng = np.random.default_rng(15 + (decimals or 0))
    for _ in range(200):
        x = random_table(rng, int(rng.integers(1, 90)), int(rng.integers(1, 40)))
        expected = column_sort_ranks(x, decimals)
        assert np.array_equal(competition_ranks(x, decimals), expected)
        assert np.array_equal(row_ranks(x.T, decimals), expected.T)
        assert np.array_equal(row_ranks(x.T, decimals, dtype=np.int32), expected.T)
        assert np.array_equal(competition_ranks(x[:, 0], decimals), expected[:, 0])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.one_of(st.sampled_from([0.5, 0.25, 0.71635, 0.7164, float("nan")]),
                                   st.floats(-1e9, 1e9)), min_size=5, max_size=5), min_size=1, max_size=30),
       st.sampled_from([None, 0, 1, 4]))
def test_new_ranking_equals_the_column_sort_for_any_values(rows, decimals):
    x = np.array(rows, dtype=float)
    assert np.array_equal(competition_ranks(x, decimals), column_sort_ranks(x, decimals))


def test_values_too_large_for_packed_keys_take_the_argsort_path():
    x = np.array([[1e300, -1e300, 1e300, np.inf, -np.inf, np.nan, 0.0]]).T
    with np.errstate(invalid="ignore"):  # −inf rounds to NaN (inf − inf), before and now
        assert np.array_equal(competition_ranks(x, 2), column_sort_ranks(x, 2))
        assert competition_ranks(x, 2)[:, 0].tolist() == [2, 5, 2, 1, 0, 0, 4]


def test_rank_counts_give_numpy_quantiles_mean_and_share():
    rng = np.random.default_rng(3)
    for runs in (1, 2, 7, 100, 1001):
        ranks = rng.integers(1, 12, (runs, 11)).astype(np.int32)   # runs × units
        counts = np.zeros((11, 12), dtype=np.int64)
        sensitivity.rank_counts(ranks, counts)
        qs = [0.05, 0.25, 0.5, 0.75, 0.95]
        expected = np.quantile(ranks.T.astype(float), qs, axis=1, method="linear")
        assert np.array_equal(sensitivity.quantiles_from_counts(counts, qs), expected)
        assert np.array_equal(counts.sum(axis=1), np.full(11, runs))
