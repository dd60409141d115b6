"""Segment operations on flat arrays with offsets (light curves as epochs + offsets)."""

import numpy as np
import pytest

from qzo.arrays.hashrng import hashed_uniform
from qzo.arrays.segments import segment_mean, segment_median, segment_sum


def test_segment_median_handles_even_odd_and_empty():
    values = np.array([3.0, 1.0, 2.0, 10.0, 4.0])
    np.testing.assert_allclose(segment_median(values, np.array([0, 3, 3, 5])), [2.0, np.nan, 7.0])


def test_segment_sums_and_means_follow_the_offsets():
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    offsets = np.array([0, 1, 1, 4, 6])
    np.testing.assert_allclose(segment_sum(values, offsets), [1.0, 0.0, 9.0, 11.0])
    np.testing.assert_allclose(segment_mean(values, offsets), [1.0, np.nan, 3.0, 5.5])


def test_hashed_uniforms_depend_only_on_key_and_counter():
    keys = np.array([10, 11, 10], dtype=np.int64)
    a = hashed_uniform(keys, np.array([0, 0, 1]))
    b = hashed_uniform(keys[::-1], np.array([1, 0, 0]))
    assert np.array_equal(a, b[::-1])  # the same (key, counter) gives the same number
    assert len(set(a.tolist())) == 3 and ((a >= 0) & (a < 1)).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("with_nan", [False, True])
def test_segment_median_equals_the_lexsort_median_exactly(dtype, with_nan):
    rng = np.random.default_rng(3)
    counts = rng.integers(0, 9, 5000)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    values = rng.normal(19, 2, offsets[-1]).astype(dtype)
    values[1::97] = values[::97][: len(values[1::97])]  # ties
    if with_nan:
        values[::501] = np.nan
    ids = np.repeat(np.arange(len(counts)), counts)
    ordered = values[np.lexsort((values, ids))]
    lo, hi = offsets[:-1] + (counts - 1) // 2, offsets[:-1] + counts // 2
    expected = np.full(len(counts), np.nan)
    ok = counts > 0
    expected[ok] = 0.5 * (ordered[lo[ok]] + ordered[hi[ok]])
    assert np.array_equal(segment_median(values, offsets), expected, equal_nan=True)
