"""Scores and data cuts of the paper's tables (METHOD.md §7), on plain arrays."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike


def binary_scores(truth: ArrayLike, predicted: ArrayLike) -> dict:
    """Purity (precision), completeness (recall) and F1 of boolean predictions; NaN where a
    denominator is zero."""
    truth, predicted = np.asarray(truth, bool), np.asarray(predicted, bool)
    tp = int((truth & predicted).sum())
    n_pred, n_true = int(predicted.sum()), int(truth.sum())
    purity = tp / n_pred if n_pred else np.nan
    completeness = tp / n_true if n_true else np.nan
    f1 = 2 * tp / (n_pred + n_true) if (n_pred + n_true) else np.nan
    return {
        "purity": purity,
        "completeness": completeness,
        "f1": f1,
        "n_true": n_true,
        "n_predicted": n_pred,
    }


def class_scores(labels: ArrayLike, probabilities: ArrayLike, qso: int = 1) -> dict:
    """QSO F1 (QSO vs the rest, argmax classes) and the accuracy over all classes."""
    labels = np.asarray(labels)
    predicted = np.asarray(probabilities).argmax(axis=1) if len(labels) else np.zeros(0, int)
    scores = binary_scores(labels == qso, predicted == qso)
    accuracy = float((predicted == labels).mean()) if len(labels) else np.nan
    return {"qso_f1": scores["f1"], "accuracy": accuracy, "n": len(labels)}


#: Bootstrap resamples of the test objects behind the 95 % intervals of Tables 1 and 3.
BOOTSTRAP_RESAMPLES = 2000


def f1_bootstrap(
    selections: Mapping[str, tuple[ArrayLike, ArrayLike]],
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
    chunk: int = 200,
) -> pd.DataFrame:
    """F1 of each selection (name → (true, predicted) booleans over the same objects) on
    ``resamples`` bootstrap resamples of the objects, one column per selection. Every selection
    is scored on the same resamples, so differences between columns are paired. An object a
    selection leaves out of both masks does not count for it, so masking both by a data cut
    gives the F1 over the cut's subset. Resamples are drawn ``chunk`` at a time (memory ∝
    chunk × objects); NaN where a resample holds neither a true nor a predicted member. No
    selections: an empty table."""
    masks = {n: (np.asarray(t, bool), np.asarray(p, bool)) for n, (t, p) in selections.items()}
    if not masks:
        return pd.DataFrame()
    n_objects = len(next(iter(masks.values()))[0]) if masks else 0
    rng = np.random.default_rng(seed)
    scores: dict[str, list[np.ndarray]] = {name: [] for name in masks}
    for start in range(0, resamples, chunk):
        idx = rng.integers(0, n_objects, (min(chunk, resamples - start), n_objects))
        for name, (truth, predicted) in masks.items():
            t, p = truth[idx], predicted[idx]
            both = (t.sum(1) + p.sum(1)).astype(float)
            tp = (t & p).sum(1)
            scores[name].append(
                np.divide(2 * tp, both, out=np.full(len(idx), np.nan), where=both > 0)
            )
    return pd.DataFrame({name: np.concatenate(parts) for name, parts in scores.items()})


def qso_f1_bootstrap(
    labels: ArrayLike, predicted: Mapping[str, ArrayLike], qso: int = 1, **kwargs: int
) -> pd.DataFrame:
    """QSO F1 of each model's predicted classes (``predicted``: name → classes) on bootstrap
    resamples of the objects (:func:`f1_bootstrap`, which ``kwargs`` go to)."""
    truth = np.asarray(labels) == qso
    return f1_bootstrap({n: (truth, np.asarray(p) == qso) for n, p in predicted.items()}, **kwargs)


def interval(values: ArrayLike, level: float = 0.95) -> tuple[float, float]:
    """The central ``level`` interval of bootstrap ``values`` (NaN ignored; NaN, NaN when every
    value is NaN, e.g. a bin without QSOs)."""
    values = np.asarray(values, float)
    if np.isnan(values).all():
        return np.nan, np.nan
    tail = 50 * (1 - level)
    low, high = np.nanpercentile(values, [tail, 100 - tail])
    return float(low), float(high)


def redshift_scores(z_spec: ArrayLike, z_pred: ArrayLike) -> dict:
    """σ of Δz/(1+z), and the fractions of predictions off by more than 20% and 50%, both as
    |Δz|/(1+z) and as |Δz|/z (the paper's wording allows either)."""
    z_spec, z_pred = np.asarray(z_spec, float), np.asarray(z_pred, float)
    if not len(z_spec):
        return {"n": 0}
    scaled = (z_pred - z_spec) / (1 + z_spec)
    relative = np.abs(z_pred - z_spec) / np.maximum(z_spec, 1e-6)
    return {
        "n": len(z_spec),
        "sigma_dz_1pz": float(np.std(scaled)),
        "median_dz_1pz": float(np.median(scaled)),
        "frac_dz_1pz_gt_0.2": float((np.abs(scaled) > 0.2).mean()),
        "frac_dz_1pz_gt_0.5": float((np.abs(scaled) > 0.5).mean()),
        "frac_dz_z_gt_0.2": float((relative > 0.2).mean()),
        "frac_dz_z_gt_0.5": float((relative > 0.5).mean()),
    }


def magnitude_cut(
    mag_median: ArrayLike, n_obs: ArrayLike, slope: float = 80.0, intercept: float = 20.375
) -> np.ndarray:
    """The paper's cut g < n_obs / slope + intercept."""
    return np.asarray(mag_median) < np.asarray(n_obs) / slope + intercept


def data_cuts(frame: pd.DataFrame, cfg: dict) -> dict[str, np.ndarray]:
    """The cuts of Tables 1 and 4, as boolean masks over ``frame`` (needs ``mag_median``,
    ``n_obs``, ``snr_mean``); ``cfg`` is the config section ``evaluate`` plus ``catalog``."""
    snr = frame["snr_mean"].to_numpy() > cfg["snr_min"]
    many = frame["n_obs"].to_numpy() > cfg["n_obs_min"]
    mag = magnitude_cut(
        frame["mag_median"], frame["n_obs"], cfg["mag_cut_slope"], cfg["mag_cut_intercept"]
    )
    s, n = f"SNR>{cfg['snr_min']:g}σ", f"n_obs>{cfg['n_obs_min']}"
    return {
        "none": np.ones(len(frame), bool),
        f"g<n_obs/{cfg['mag_cut_slope']:g}+{cfg['mag_cut_intercept']:g}": mag,
        f"{s} or {n}": snr | many,
        n: many,
        s: snr,
        f"{s} and {n}": snr & many,
    }
