"""Light curves → 200-epoch windows, exactly as Astromer v1 cuts and centres them (vectorised).

A light curve of L epochs gives windows starting at 0, w, 2w, … ⌊L/w⌋·w, each shifted back so
that it ends by L (so the last window overlaps the previous one, and an L that is a multiple of w
repeats its last window): the reference package's behaviour, kept for weight compatibility.
Values are cast to float32 first; time and magnitude are centred on their window mean computed
as a sequential float32 sum, as the reference does (at MJD ~ 58000 a float64 mean differs by up
to 0.1 d, which the published weights notice). Padded positions hold 0 and have mask 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..segments import offsets_from_counts


@dataclass
class Windows:
    """Model inputs: (n_windows, window, 1) float32 arrays, and where each window came from."""

    times: np.ndarray
    mags: np.ndarray
    mask: np.ndarray  # 1 = padding (no epoch)
    owner: np.ndarray  # light-curve index of each window
    length: np.ndarray  # real epochs in each window


def window_starts(counts: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Owner and first epoch (within its light curve) of every window."""
    per_lc = counts // window + 1
    owner = np.repeat(np.arange(len(counts)), per_lc)
    k = np.arange(per_lc.sum()) - np.repeat(offsets_from_counts(per_lc)[:-1], per_lc)
    start = np.maximum(0, np.minimum(counts[owner] - window, k * window))
    return owner, start


def make_windows(
    offsets: np.ndarray, times: np.ndarray, mags: np.ndarray, window: int = 200
) -> Windows:
    """Cut every light curve (``offsets`` into flat ``times``/``mags``) into centred windows."""
    counts = np.diff(offsets)
    owner, start = window_starts(counts, window)
    length = np.minimum(counts[owner], window)
    col = np.arange(window)
    real = col[None, :] < length[:, None]
    src = np.where(real, offsets[:-1][owner][:, None] + start[:, None] + col[None, :], 0)
    t = np.where(real, times.astype(np.float32)[src], np.float32(0))
    m = np.where(real, mags.astype(np.float32)[src], np.float32(0))
    n = np.maximum(length, 1).astype(np.float32)[:, None]
    # Padding zeros add nothing to the running float32 sum.
    t_mean = np.cumsum(t, axis=1, dtype=np.float32)[:, -1:] / n
    m_mean = np.cumsum(m, axis=1, dtype=np.float32)[:, -1:] / n
    t = np.where(real, t - t_mean, np.float32(0)).astype(np.float32)
    m = np.where(real, m - m_mean, np.float32(0)).astype(np.float32)
    mask = (~real).astype(np.float32)
    return Windows(t[..., None], m[..., None], mask[..., None], owner, length)
