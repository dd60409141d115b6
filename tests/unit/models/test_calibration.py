"""The calibration on constructed populations: the EM prior, importance weights, applying it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qzo.config import default_config
from qzo.config.settings import XGBSettings
from qzo.models.calibration import (
    DOMAIN_COVARIATES,
    apply_calibration,
    calibrated_columns,
    effective_sample_size,
    fit_calibration,
    importance_weights,
    inference_prior,
    shift_priors,
)

SETTINGS = XGBSettings.from_config(default_config()["xgb"], threads=1)


def _posteriors(rng, n, prior):
    """Classes drawn with ``prior`` and the exact posteriors of a classifier trained under a
    flat prior that sees x ~ N(2·class, 1)."""
    y = rng.choice(3, n, p=prior)
    x = rng.normal(2.0 * y, 1.0)
    like = np.exp(-0.5 * (x[:, None] - 2.0 * np.arange(3)) ** 2)
    return y, like / like.sum(1, keepdims=True)


def test_em_recovers_the_class_shares_of_a_shifted_population():
    rng = np.random.default_rng(1)
    truth = np.array([0.7, 0.05, 0.25])
    _, p = _posteriors(rng, 200_000, truth)
    shares, iterations = inference_prior(p, np.full(3, 1 / 3))
    assert shares == pytest.approx(truth, abs=0.01)
    assert 1 < iterations < 10_000
    # Unshifted: the labelled prior is the answer.
    _, p = _posteriors(rng, 200_000, np.full(3, 1 / 3))
    assert inference_prior(p, np.full(3, 1 / 3))[0] == pytest.approx(np.full(3, 1 / 3), abs=0.01)
    with pytest.raises(ValueError, match="every class needs labelled objects"):
        inference_prior(p, np.array([0.5, 0.5, 0.0]))


def test_shifted_posteriors_are_the_bayes_posteriors_of_the_new_prior():
    rng = np.random.default_rng(2)
    truth = np.array([0.7, 0.05, 0.25])
    y, p = _posteriors(rng, 100_000, truth)
    q = shift_priors(p, truth / (1 / 3))
    assert np.allclose(q.sum(1), 1.0)
    # Calibrated: among objects given p_QSO in [0.15, 0.3] (the rare class peaks near 0.28),
    # the QSO share is their mean p_QSO; the unshifted posteriors are far above it.
    middle = (q[:, 1] > 0.15) & (q[:, 1] < 0.3)
    assert middle.sum() > 500
    assert (y[middle] == 1).mean() == pytest.approx(q[middle, 1].mean(), abs=0.03)
    assert p[middle, 1].mean() > 2 * (y[middle] == 1).mean()


def _covariates(rng, n, mag_mean):
    return pd.DataFrame(
        {
            "mag_median": rng.normal(mag_mean, 1.0, n),
            "n_obs": rng.integers(20, 400, n).astype(float),
            "timespan": rng.uniform(100, 2000, n),
            "snr_mean": rng.uniform(3, 50, n),
            "wise_sep_arcsec": np.where(rng.random(n) < 0.5, rng.uniform(0, 2, n), np.nan),
        }
    )


def test_importance_weights_follow_the_density_ratio():
    rng = np.random.default_rng(3)
    labelled = _covariates(rng, 2_000, 18.0)  # brighter than the sky, as SDSS spectra are
    sky = _covariates(rng, 20_000, 19.0)
    weights, clipped = importance_weights(labelled, sky, SETTINGS, folds=5, max_weight=50)
    assert weights.mean() == pytest.approx(1.0)
    assert clipped == 0
    # True ratio N(19, 1) / N(18, 1) ∝ exp(mag − 18.5): ≈ e² between mag 17.5 and 19.5.
    mag = labelled["mag_median"].to_numpy()
    faint, bright = weights[(mag > 19.3) & (mag < 19.7)], weights[(mag > 17.3) & (mag < 17.7)]
    assert 3 < np.median(faint) / np.median(bright) < 20
    assert effective_sample_size(weights) < len(labelled)
    assert effective_sample_size(np.ones(10)) == 10
    # Clipping caps the largest weights.
    capped, clipped = importance_weights(labelled, sky, SETTINGS, folds=5, max_weight=1.5)
    assert clipped > 0 and capped.max() < weights.max()
    with pytest.raises(ValueError, match="at least 3 folds"):
        importance_weights(labelled, sky, SETTINGS, folds=2, max_weight=50)


def test_fit_and_apply_calibration_shift_the_sky_towards_its_classes():
    rng = np.random.default_rng(4)
    labels, p_lab = _posteriors(rng, 3_000, np.full(3, 1 / 3))
    sky_truth = np.array([0.25, 0.05, 0.7])
    _, p_sky = _posteriors(rng, 30_000, sky_truth)
    labelled = _covariates(rng, 3_000, 18.5)
    sky = _covariates(rng, 30_000, 18.5)  # same observables: weights near 1
    for prefix in ("p_", "p_WISE_"):
        for k, name in enumerate(("galaxy", "QSO", "star")):
            labelled[f"{prefix}{name}"] = p_lab[:, k]
            sky[f"{prefix}{name}"] = p_sky[:, k]
    result = fit_calibration(labelled, labels, sky, SETTINGS, folds=5, max_weight=50)
    assert result["labelled_rows"] == 3_000 and result["inference_rows"] == 30_000
    assert result["effective_labelled_rows"] > 2_000
    wise = result["models"]["ztf_wise"]
    assert wise["inference_prior"] == pytest.approx(sky_truth, abs=0.03)
    assert np.allclose(
        np.asarray(wise["ratio"]),
        np.asarray(wise["inference_prior"]) / np.asarray(wise["labelled_prior"]),
    )
    calibrated = apply_calibration(sky, result)
    assert calibrated_columns("ztf_wise") == [
        "p_WISE_cal_galaxy",
        "p_WISE_cal_QSO",
        "p_WISE_cal_star",
    ]
    assert calibrated_columns("ztf") == ["p_cal_galaxy", "p_cal_QSO", "p_cal_star"]
    # The calibrated probabilities sum to the EM's QSO share (its fixed point), near the sky's
    # (the labelled sample's own class shares, 0.342 for QSOs here, carry their noise into it);
    # the raw ones sum to far more.
    assert calibrated["p_WISE_cal_QSO"].mean() == pytest.approx(
        wise["inference_prior"][1], abs=1e-4
    )
    assert calibrated["p_WISE_cal_QSO"].mean() == pytest.approx(0.05, abs=0.015)
    assert sky["p_WISE_QSO"].mean() > 0.1
    assert set(DOMAIN_COVARIATES) <= set(sky.columns)
