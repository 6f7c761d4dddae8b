"""Competition ranking as the ministries publish it: higher is better, ties share a rank and the next
rank is skipped (1, 2, 2, 4), on values rounded as published (DTI 2022: Thanh Hóa and Yên Bái both 15th,
Hậu Giang 17th).

Everything is vectorised, so that the same code ranks one table or a million Monte Carlo replications.
The work is done with the ranked units along contiguous rows (:func:`row_ranks`; one replication per
row): sorting many short contiguous rows is several times faster than sorting along a strided axis.
"""

from __future__ import annotations

import numpy as np

# Keys packed for the fast path: (rounded value as an integer) << bits | column, sorted as int64.
_KEY_BITS = 63


def round_half_up(values: np.ndarray, decimals: int) -> np.ndarray:
    """Round as a published table does (0.71635 → 0.7164), not to even as ``np.round`` does.

    The tiny nudge absorbs binary representation error (0.71635 is stored as 0.716349999…).
    """
    factor = 10.0 ** decimals
    return _rounded_units(values, decimals) / factor


def _rounded_units(values: np.ndarray, decimals: int) -> np.ndarray:
    """``round_half_up(values, decimals) × 10**decimals`` before the division: whole numbers (as floats).

    Two values round to the same published figure exactly when these are equal, and their order is the
    order of the published figures (dividing whole numbers below 2**53 by 10**d keeps them apart).
    """
    factor = 10.0 ** decimals
    scaled = np.asarray(values, dtype=float) * factor
    if np.ndim(scaled) == 0:
        return np.floor(scaled + 0.5 + 1e-9 * np.maximum(1.0, np.abs(scaled)))
    # the same sums in the same order as the line above, in place (two arrays instead of five)
    nudge = np.abs(scaled)
    np.maximum(nudge, 1.0, out=nudge)
    nudge *= 1e-9
    scaled += 0.5
    scaled += nudge
    return np.floor(scaled, out=scaled)


def competition_ranks(values: np.ndarray, decimals: int | None = None) -> np.ndarray:
    """Ranks of the rows of each column (axis 0), 1 = highest; missing values (NaN) get rank 0.

    ``values`` is units × columns (or a 1-D vector). rank = 1 + number of units with a strictly higher
    (rounded) value, which is exactly the 1-2-2-4 rule.
    """
    data = np.asarray(values, dtype=float)
    if data.ndim == 1:
        return row_ranks(data[None, :], decimals)[0].astype(np.int64)
    return row_ranks(data.T, decimals).T.astype(np.int64)


def row_ranks(values: np.ndarray, decimals: int | None = None, *, dtype=np.int64) -> np.ndarray:
    """Competition ranks within each row of a 2-D array (columns = the ranked units), 1 = highest,
    0 for a missing value (NaN); same rule as :func:`competition_ranks`, which is this on the transpose.

    With ``decimals``, each row is sorted once as int64 keys ``−(value rounded, as a whole number of
    10**−decimals) << bits | column`` (numpy's SIMD sort), so the sort carries the column along and
    ties are equal high parts; without, an ``argsort`` per row. Either way every sorted entry gets
    the rank of the first entry of its group of equal values, and is written back to its column.
    """
    data = np.ascontiguousarray(values, dtype=float)
    rows, n = data.shape
    out = np.empty((rows, n), dtype=dtype)
    if rows == 0 or n == 0:
        return out
    bits = max(1, int(n - 1).bit_length())
    limit = 2.0 ** (62 - bits)  # |whole| below this: the shifted key cannot overflow int64
    whole = _rounded_units(data, decimals) if decimals is not None else data  # fresh: changed in place below
    missing = np.isnan(whole)  # after rounding, as before (−inf rounds to NaN)
    any_missing = bool(missing.any())
    if decimals is not None:
        present = whole[~missing] if any_missing else whole
        fast = not present.size or (float(np.abs(present).max()) < min(limit, 2.0 ** 52))
    else:
        fast = False
    if fast:
        if any_missing:
            whole[missing] = -limit  # sorts after every real value once negated
        np.negative(whole, out=whole)
        keys = whole.astype(np.int64)
        keys <<= bits
        keys |= np.arange(n, dtype=np.int64)
        keys.sort(axis=1)
        columns = keys & ((1 << bits) - 1)
        keys >>= bits
        ordered = keys
    else:
        filled = np.where(missing, -np.inf, whole) if any_missing else whole
        columns = np.argsort(-filled, axis=1)
        ordered = np.take_along_axis(filled, columns, axis=1)
    ranks = _first_of_group_ranks(ordered, out.dtype)
    columns += np.arange(0, rows * n, n, dtype=columns.dtype)[:, None]
    out.reshape(-1)[columns.reshape(-1)] = ranks.reshape(-1)
    if any_missing:
        out[missing] = 0
    return out


def _first_of_group_ranks(ordered: np.ndarray, dtype) -> np.ndarray:
    """For rows sorted best first: 1 + the position in its row of the first entry equal to each entry."""
    rows, n = ordered.shape
    ranks = np.empty((rows, n), dtype=dtype)
    ranks[:] = np.arange(1, n + 1, dtype=dtype)
    # Ties are rare in replications (values rounded as published, weights continuous): fix only them,
    # copying the rank of the previous entry forward as many times as the longest run of equal values.
    tied = np.flatnonzero(ordered[:, 1:] == ordered[:, :-1])
    if tied.size:
        tied += tied // (n - 1) + 1   # flat position of the second entry of each equal pair
        flat = ranks.reshape(-1)
        while True:
            previous = flat[tied - 1]
            if np.array_equal(previous, flat[tied]):
                break
            flat[tied] = previous
    return ranks
