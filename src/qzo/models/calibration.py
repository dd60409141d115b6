"""Class probabilities for the inference population (beyond the paper, which leaves calibration
to the user): the labelled set is not a fair sample of the sky, so the classifiers' ``p_*`` are
probabilities for objects drawn like the SDSS spectra, not like the catalog's objects.

Two corrections, fitted on labelled objects the models never trained on (the val split):

1. **Importance weights.** A classifier that tells labelled from inference objects by their
   observables (:data:`DOMAIN_COVARIATES`), cross-fitted so that no object is weighted by a
   model that saw it; each labelled object's weight is its odds of being an inference object,
   clipped at ``max_weight`` × the mean. The weights make the labelled set look like the sky in
   magnitude, epochs, signal-to-noise and WISE coverage.
2. **Prior shift** (Saerens, Latinne & Decaestecker 2002). Spectroscopic targeting takes
   classes at different rates (QSOs nearly all, stars and galaxies sparsely), which no
   reweighting by observables undoes. With the labelled class shares (weighted) as the prior
   the classifier learnt, expectation–maximisation over the inference objects finds the sky's
   class shares; each object's probabilities are then rescaled by the ratio of the two priors.

The result is one ratio per class and model (:func:`apply_calibration`), cheap to apply to any
number of objects.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from qzo.config.settings import XGBSettings
from qzo.models.xgb import (
    CATALOG_CLASSIFIERS,
    CLASS_NAMES,
    OUTPUT_PREFIX,
    fit_classifier,
    predict_proba,
)
from qzo.models.xgb import probability_columns as raw_columns

#: What tells the inference population from the labelled one: the observables every object has.
DOMAIN_COVARIATES = ["mag_median", "n_obs", "timespan", "snr_mean", "wise_sep_arcsec"]
#: The domain classifier's depth: its job is a smooth density ratio, not a sharp boundary.
DOMAIN_MAX_DEPTH = 4
_DOMAIN = "is_inference"


def calibrated_columns(model: str) -> list[str]:
    """A model's calibrated probability columns (``p_cal_*``, ``p_WISE_cal_*``)."""
    return [f"{OUTPUT_PREFIX[model]}cal_{name}" for name in CLASS_NAMES]


def importance_weights(
    labelled: pd.DataFrame,
    inference: pd.DataFrame,
    settings: XGBSettings,
    *,
    folds: int,
    max_weight: float,
) -> tuple[np.ndarray, int]:
    """Each labelled row's weight p(inference | x) / p(labelled | x), normalised to mean 1 and
    clipped at ``max_weight`` (then renormalised), and how many were clipped. Cross-fitted over
    ``folds`` folds of both sets: fold k is scored by a model trained on the others but k + 1,
    which stops it early."""
    if folds < 3:
        raise ValueError(f"importance weights need at least 3 folds, got {folds}")
    both = pd.concat([labelled[DOMAIN_COVARIATES], inference[DOMAIN_COVARIATES]], ignore_index=True)
    both[_DOMAIN] = np.r_[np.zeros(len(labelled), np.int64), np.ones(len(inference), np.int64)]
    fold = np.random.default_rng(settings.seed).integers(0, folds, len(both))
    domain_settings = dataclasses.replace(settings, max_depth=DOMAIN_MAX_DEPTH)
    p_inference = np.empty(len(both))
    for k in range(folds):
        stop = (k + 1) % folds
        train = both[(fold != k) & (fold != stop)]
        booster = fit_classifier(
            train, both[fold == stop], DOMAIN_COVARIATES, _DOMAIN, domain_settings
        )
        p_inference[fold == k] = predict_proba(booster, both[fold == k])[:, 1]
    p = np.clip(p_inference[: len(labelled)], 1e-6, 1 - 1e-6)
    odds = p / (1 - p)
    weights = odds / odds.mean()
    clipped = np.minimum(weights, max_weight)
    return clipped / clipped.mean(), int(np.sum(weights > max_weight))


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective number of weighted rows."""
    return float(weights.sum() ** 2 / (weights**2).sum()) if len(weights) else 0.0


def inference_prior(
    probabilities: np.ndarray,
    labelled_prior: np.ndarray,
    *,
    tol: float = 1e-10,
    max_iter: int = 10_000,
) -> tuple[np.ndarray, int]:
    """The class shares of the objects behind ``probabilities`` (rows from a classifier whose
    training prior is ``labelled_prior``), by EM: returns the shares and the iterations used."""
    p = np.asarray(probabilities, np.float64)
    prior = np.asarray(labelled_prior, np.float64)
    if np.any(prior <= 0):
        raise ValueError(f"every class needs labelled objects; labelled prior {prior.tolist()}")
    shares = prior.copy()
    for iteration in range(1, max_iter + 1):
        posterior = shift_priors(p, shares / prior)
        new = posterior.mean(axis=0)
        if np.abs(new - shares).max() < tol:
            return new, iteration
        shares = new
    return shares, max_iter


def shift_priors(probabilities: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """Rows of ``probabilities`` times the per-class ``ratio``, renormalised."""
    scaled = np.asarray(probabilities, np.float64) * np.asarray(ratio, np.float64)
    return scaled / scaled.sum(axis=1, keepdims=True)


def fit_calibration(
    labelled: pd.DataFrame,
    labels: np.ndarray,
    inference: pd.DataFrame,
    settings: XGBSettings,
    *,
    folds: int,
    max_weight: float,
) -> dict[str, Any]:
    """The calibration (JSON-ready): per catalog model, the labelled and inference class priors
    and their ratio, from the ``labelled`` rows (their class indices ``labels``, out-of-sample
    ``p_*`` and ``p_WISE_*``) and a sample of ``inference`` rows; and the diagnostics."""
    weights, clipped = importance_weights(
        labelled, inference, settings, folds=folds, max_weight=max_weight
    )
    labelled_prior = np.bincount(labels, weights=weights, minlength=len(CLASS_NAMES))
    labelled_prior = labelled_prior / labelled_prior.sum()
    models = {}
    for model in CATALOG_CLASSIFIERS:
        prior, iterations = inference_prior(
            inference[raw_columns(model)].to_numpy(), labelled_prior
        )
        models[model] = {
            "labelled_prior": labelled_prior.tolist(),
            "inference_prior": prior.tolist(),
            "ratio": (prior / labelled_prior).tolist(),
            "em_iterations": iterations,
        }
    return {
        "classes": list(CLASS_NAMES),
        "models": models,
        "labelled_rows": len(labelled),
        "labelled_unweighted_prior": (
            np.bincount(labels, minlength=len(CLASS_NAMES)) / len(labels)
        ).tolist(),
        "effective_labelled_rows": effective_sample_size(weights),
        "clipped_weights": clipped,
        "inference_rows": len(inference),
    }


def apply_calibration(frame: pd.DataFrame, calibration: dict[str, Any]) -> pd.DataFrame:
    """``frame`` with each catalog model's calibrated columns (:func:`calibrated_columns`)."""
    out = frame.copy()
    for model in CATALOG_CLASSIFIERS:
        ratio = np.asarray(calibration["models"][model]["ratio"])
        calibrated = shift_priors(frame[raw_columns(model)].to_numpy(), ratio)
        out[calibrated_columns(model)] = calibrated.astype(np.float32)
    return out


def read_inference_sample(paths: list, columns: list[str], size: int, seed: int) -> pd.DataFrame:
    """A seeded random sample of about ``size`` non-duplicate rows (``columns``) of the
    prediction files ``paths``, read file by file: memory is bounded by the sample."""
    total = sum(pq.ParquetFile(p).metadata.num_rows for p in paths)
    rate = min(1.0, size / total) if total else 1.0
    rng = np.random.default_rng(seed)
    parts = []
    for path in paths:
        frame = pd.read_parquet(path, columns=[*columns, "is_duplicate"])
        keep = ~frame["is_duplicate"].to_numpy(bool) & (rng.random(len(frame)) < rate)
        parts.append(frame.loc[keep, columns])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
