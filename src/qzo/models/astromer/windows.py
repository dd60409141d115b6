"""Light curves → 200-epoch windows, exactly as Astromer v1 cuts and centres them (vectorised).

A light curve of L epochs gives windows starting at 0, w, 2w, … ⌊L/w⌋·w, each shifted back so
that it ends by L (so the last window overlaps the previous one, and an L that is a multiple of w
repeats its last window): the reference package's behaviour, kept for weight compatibility.
Values are cast to float32 first; time and magnitude are centred on their window mean computed
as a sequential float32 sum, as the reference does (at MJD ~ 58000 a float64 mean differs by up
to 0.1 d, which the published weights notice). Padded positions hold 0 and have mask 1.
Photometric errors, when given (for encoders with ``error_input``), are carried as they are,
not centred.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from qzo.arrays.segments import offsets_from_counts


@dataclass
class Windows:
    """Model inputs: (n_windows, window, 1) float32 arrays, and where each window came from."""

    times: np.ndarray
    mags: np.ndarray
    mask: np.ndarray  # 1 = padding (no epoch)
    owner: np.ndarray  # light-curve index of each window
    length: np.ndarray  # real epochs in each window
    errors: np.ndarray | None = None  # magnitude errors (0 on padding), if given

    def inputs(self, index: Any = slice(None)) -> dict[str, np.ndarray]:
        """The encoder's inputs for the windows ``index``: times, mags, mask (and errors)."""
        out = {"times": self.times[index], "mags": self.mags[index], "mask": self.mask[index]}
        if self.errors is not None:
            out["errors"] = self.errors[index]
        return out

    def take(self, index: Any) -> Windows:
        """The windows ``index`` (an index array, a mask or a slice)."""
        errors = None if self.errors is None else self.errors[index]
        return Windows(
            self.times[index],
            self.mags[index],
            self.mask[index],
            self.owner[index],
            self.length[index],
            errors,
        )


def window_starts(
    counts: np.ndarray, window: int, single: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Owner and first epoch (within its light curve) of every window; ``single``: one window
    per light curve, its first ``window`` epochs (the pipeline's light curves are ≤ 200 nights)."""
    per_lc = np.ones_like(counts) if single else counts // window + 1
    owner = np.repeat(np.arange(len(counts)), per_lc)
    k = np.arange(per_lc.sum()) - np.repeat(offsets_from_counts(per_lc)[:-1], per_lc)
    start = np.maximum(0, np.minimum(counts[owner] - window, k * window))
    return owner, start


def make_windows(
    offsets: np.ndarray,
    times: np.ndarray,
    mags: np.ndarray,
    window: int = 200,
    single: bool = False,
    errors: np.ndarray | None = None,
) -> Windows:
    """Cut every light curve (``offsets`` into flat ``times``/``mags``, and ``errors`` if
    given) into centred windows."""
    counts = np.diff(offsets)
    owner, start = window_starts(counts, window, single)
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
    e = None
    if errors is not None:
        e = np.where(real, np.asarray(errors).astype(np.float32)[src], np.float32(0))[..., None]
    return Windows(t[..., None], m[..., None], mask[..., None], owner, length, e)


@dataclass
class CompactBatch:
    """A batch of windows with the padded positions folded into one token each."""

    inputs: dict  # times, mags, mask (and errors) (B, S, 1), key_log_count (B, S)
    index: np.ndarray  # which windows (rows of the Windows) the batch holds
    length: np.ndarray  # real epochs per window


_FILLER = -1e9


def compact_windows(
    win: Windows, batch_size: int = 256, multiple: int = 8, full_batches: bool = False
) -> Iterator[CompactBatch]:
    """Batches of windows of similar length, each padded position run folded into one token.

    ``full_batches`` pads the last batch with copies of its last row up to ``batch_size`` rows
    (``index`` and ``length`` keep only the real ones), so a compiled model sees one batch size.

    All padded positions of a window carry identical inputs (time 0, magnitude 0, mask 1), so
    they stay identical through every layer; one token with ``log(n_pad)`` added to its key
    logits stands for all of them. This is the same function as the full 200-position window
    (up to float32 rounding, ~1e-4) at a fraction of the cost for short light curves.
    """
    full = win.times.shape[1]
    order = np.argsort(win.length, kind="stable")
    for s in range(0, len(order), batch_size):
        real_idx = order[s : s + batch_size]
        idx = real_idx
        if full_batches and len(idx) < batch_size:
            idx = np.concatenate([idx, np.full(batch_size - len(idx), idx[-1])])
        length = win.length[idx]
        needs_pad = length < full
        size = int(min(full, -(-int((length + needs_pad).max()) // multiple) * multiple))
        b = len(idx)
        col = np.arange(size)[None, :]
        real = col < length[:, None]
        pad_token = needs_pad[:, None] & (col == length[:, None])
        times = np.where(real, win.times[idx, :size, 0], 0).astype(np.float32)
        mags = np.where(real, win.mags[idx, :size, 0], 0).astype(np.float32)
        n_pad = np.maximum(full - length, 1).astype(np.float32)[:, None]
        log_count = np.where(real, 0.0, np.where(pad_token, np.log(n_pad), _FILLER))
        inputs = {
            "times": times.reshape(b, size, 1),
            "mags": mags.reshape(b, size, 1),
            "mask": (~real).astype(np.float32).reshape(b, size, 1),
            "key_log_count": log_count.astype(np.float32),
        }
        if win.errors is not None:
            errors = np.where(real, win.errors[idx, :size, 0], 0).astype(np.float32)
            inputs["errors"] = errors.reshape(b, size, 1)
        yield CompactBatch(
            inputs=inputs,
            index=real_idx,
            length=length[: len(real_idx)],
        )
