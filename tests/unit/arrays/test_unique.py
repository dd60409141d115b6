"""Distinct values by sorting agree with ``np.unique`` on every kind of input."""

import numpy as np
import pytest

from qzo.arrays.unique import repeated_values, sorted_unique


@pytest.mark.parametrize(
    "values",
    [
        np.array([], dtype=np.int64),
        np.array([7]),
        np.array([3, 1, 3, 2, 1, 1]),
        np.random.default_rng(0).integers(0, 1000, 5000),
        np.array([2.5, -1.0, 2.5, 0.0]),
        np.array([[4, 4], [1, 9]]),
    ],
)
def test_sorted_unique_and_repeats_agree_with_numpy(values):
    assert np.array_equal(sorted_unique(values), np.unique(values))
    uniq, counts = np.unique(values, return_counts=True)
    assert np.array_equal(repeated_values(values), uniq[counts > 1])
