"""Likelihoods of light curves under damped random walks (DRW) with their photometric errors.

A DRW (Ornstein-Uhlenbeck process) of timescale τ and asymptotic structure function SF∞ has
covariance SF∞²/2 · exp(-|Δt|/τ); the observed magnitudes add Gaussian errors and an unknown
mean. The log-likelihood of each light curve under each (τ, SF∞) is computed exactly by the
Kalman filter, O(n) per light curve and vectorised over light curves and parameter pairs, with
the mean marginalised under a flat prior (so SF∞ = 0 is a constant source and every model is
scored on the same footing). Averaging a grid over a class's parameter ranges gives that
class's marginal likelihood: with the processes that made the light curves known (the
simulated sky's), these are the inputs of the Bayes classifier of the light curves.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.special import logsumexp

from qzo.arrays.sequences import table_sequences

#: The grid points per parameter range in :func:`process_log_likelihoods`.
GRID_POINTS = 6
#: Light curves per Kalman pass in :func:`table_log_likelihoods` (bounds the memory).
BATCH = 4096

Processes = Mapping[str, tuple[tuple[float, float], tuple[float, float]]]


def padded(offsets: np.ndarray, values: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Flat per-light-curve ``values`` (light curve i is ``values[offsets[i]:offsets[i+1]]``)
    as rows of a 2-D array, padded with ``fill`` on the right."""
    lengths = np.diff(offsets)
    rows = np.full((len(lengths), int(lengths.max(initial=0))), fill, dtype=np.float64)
    columns = np.arange(len(values)) - np.repeat(offsets[:-1], lengths)
    rows[np.repeat(np.arange(len(lengths)), lengths), columns] = values
    return rows


def drw_log_likelihoods(
    offsets: np.ndarray,
    times: np.ndarray,
    mags: np.ndarray,
    errors: np.ndarray,
    tau: np.ndarray,
    sf_inf: np.ndarray,
) -> np.ndarray:
    """Log-likelihood (light curves × parameter pairs) of each light curve (flat arrays cut by
    ``offsets``, times sorted) under a DRW with each ``(tau[k], sf_inf[k])`` plus its errors,
    the mean marginalised with a flat prior. Light curves of fewer than two points get NaN."""
    tau, sf_inf = np.asarray(tau, float)[None, :], np.asarray(sf_inf, float)[None, :]
    lengths = np.diff(offsets)
    t = padded(offsets, times)
    # Centring each light curve changes nothing under a flat prior on the mean; it keeps the
    # sums well conditioned.
    centre = np.repeat(np.add.reduceat(mags, offsets[:-1]) / np.maximum(lengths, 1), lengths)
    y = padded(offsets, mags - centre)
    variance = padded(offsets, errors.astype(np.float64) ** 2, fill=1.0)
    stationary = 0.5 * sf_inf**2
    shape = (len(lengths), tau.shape[1])
    state_y, state_one = np.zeros(shape), np.zeros(shape)
    spread = np.broadcast_to(stationary, shape).copy()
    yy, one_y, one_one, log_det = (np.zeros(shape) for _ in range(4))
    for step in range(t.shape[1]):
        valid = (step < lengths)[:, None]
        if step:
            # Past a light curve's end its state stands still (no time passes).
            gap = np.where(valid[:, 0], t[:, step] - t[:, step - 1], 0.0)
            decay = np.exp(-gap[:, None] / tau)
            state_y *= decay
            state_one *= decay
            spread = decay**2 * spread + stationary * (1 - decay**2)
        total = spread + variance[:, step, None]
        innovation_y, innovation_one = y[:, step, None] - state_y, 1.0 - state_one
        yy += np.where(valid, innovation_y**2 / total, 0.0)
        one_y += np.where(valid, innovation_one * innovation_y / total, 0.0)
        one_one += np.where(valid, innovation_one**2 / total, 0.0)
        log_det += np.where(valid, np.log(total), 0.0)
        gain = spread / total
        state_y += gain * innovation_y
        state_one += gain * innovation_one
        spread = (1 - gain) * spread
    n = lengths[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_like = -0.5 * (
            yy - one_y**2 / one_one + log_det + np.log(one_one) + (n - 1) * np.log(2 * np.pi)
        )
    return np.where(n >= 2, log_like, np.nan)


def process_log_likelihoods(
    offsets: np.ndarray,
    times: np.ndarray,
    mags: np.ndarray,
    errors: np.ndarray,
    processes: Processes,
    points: int = GRID_POINTS,
) -> dict[str, np.ndarray]:
    """Per light curve, the log marginal likelihood of each DRW process (name → (τ range in
    days, SF∞ range in mag)), τ log-uniform and SF∞ uniform over their ranges (a ``points`` ×
    ``points`` grid), minus that of a constant source: positive where the process explains
    the light curve better than its errors alone."""
    grids = {}
    for name, ((tau_low, tau_high), (sf_low, sf_high)) in processes.items():
        tau, sf = np.meshgrid(
            np.geomspace(tau_low, tau_high, points), np.linspace(sf_low, sf_high, points)
        )
        grids[name] = (tau.ravel(), sf.ravel())
    tau = np.concatenate([[1.0], *(g[0] for g in grids.values())])
    sf = np.concatenate([[0.0], *(g[1] for g in grids.values())])
    log_like = drw_log_likelihoods(offsets, times, mags, errors, tau, sf)
    constant, start = log_like[:, 0], 1
    out = {}
    for name, (grid_tau, _) in grids.items():
        block = log_like[:, start : start + len(grid_tau)]
        out[name] = logsumexp(block, axis=1) - np.log(len(grid_tau)) - constant
        start += len(grid_tau)
    return out


def table_log_likelihoods(table: pa.Table, processes: Processes) -> pd.DataFrame:
    """:func:`process_log_likelihoods` of each light curve of ``table`` (``objectid`` and the
    ``mjd`` / ``mag`` / ``magerr`` list columns) as columns ``ll_<process>``, indexed by
    objectid; the light curves are taken in batches of :data:`BATCH`."""
    pieces = []
    for start in range(0, table.num_rows, BATCH):
        offsets, times, mags, errors = table_sequences(table.slice(start, BATCH), errors=True)
        assert errors is not None
        scores = process_log_likelihoods(offsets, times, mags, errors, processes)
        pieces.append(pd.DataFrame({f"ll_{name}": v for name, v in scores.items()}))
    frame = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame()
    frame.index = pd.Index(table.column("objectid").to_numpy(), name="objectid")
    return frame
