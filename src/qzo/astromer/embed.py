"""Batched Astromer inference over many light curves (flat arrays + offsets)."""

from __future__ import annotations

import numpy as np

from .encoder import AstromerEncoder
from .windows import Windows, make_windows


def encode_windows(model: AstromerEncoder, win: Windows, batch_size: int = 256) -> np.ndarray:
    """Embeddings (n_windows, window, d_model), float32, in batches.

    Eager calls, not ``model.predict``: predict compiles with XLA, whose float32 rounding differs
    from the published model's by up to ~3e-4; eager calls reproduce it exactly on CPU.
    """
    out = []
    for s in range(0, len(win.owner), batch_size):
        sl = slice(s, s + batch_size)
        out.append(
            np.asarray(model({"times": win.times[sl], "mags": win.mags[sl], "mask": win.mask[sl]}))
        )
    d = model.config_["d_model"]
    return np.concatenate(out) if out else np.zeros((0, win.times.shape[1], d), np.float32)


def encode_like_reference(model: AstromerEncoder, offsets, times, mags, batch_size: int = 256):
    """Per light curve, the reference package's ``encode`` output: its windows' embeddings
    concatenated (padding rows included) and cut to the sum of the windows' real lengths."""
    win = make_windows(
        np.asarray(offsets), np.asarray(times), np.asarray(mags), model.config_["window"]
    )
    emb = encode_windows(model, win, batch_size)
    out = []
    for k in range(len(offsets) - 1):
        rows = np.flatnonzero(win.owner == k)
        out.append(np.concatenate(emb[rows], 0)[: win.length[rows].sum()])
    return out


def mean_embeddings(model: AstromerEncoder, offsets, times, mags, batch_size: int = 256):
    """One vector per light curve: the mean embedding over real epochs of all its windows."""
    win = make_windows(
        np.asarray(offsets), np.asarray(times), np.asarray(mags), model.config_["window"]
    )
    emb = encode_windows(model, win, batch_size)
    real = 1.0 - win.mask  # (n_win, window, 1)
    sums = (emb * real).sum(axis=1)
    n_lc = len(offsets) - 1
    total = np.zeros((n_lc, emb.shape[-1]), np.float64)
    np.add.at(total, win.owner, sums)
    count = np.bincount(win.owner, weights=win.length, minlength=n_lc)
    return (total / np.maximum(count, 1)[:, None]).astype(np.float32)
