"""Shallow light-curve features: one row per light curve, values equal to plain NumPy
definitions on constructed light curves, NaN where a curve is too short."""

import numpy as np
import pandas as pd
import pytest

from qzo.lightcurves.features import feature_names, light_curve_features
from qzo.models.xgb import FEATURE_SETS, features_of


def _flat(curves):
    offsets = np.concatenate([[0], np.cumsum([len(t) for t, _, _ in curves])])
    t, m, e = (np.concatenate([c[i] for c in curves]) for i in range(3))
    return offsets, t, m, e


@pytest.fixture(scope="module")
def curves():
    rng = np.random.default_rng(5)
    t = np.sort(rng.uniform(58200, 60300, 150))
    sine = (t, 18 + 0.4 * np.sin(2 * np.pi * t / 37.0), np.full(150, 0.02))
    noise = (t, 17 + 0.05 * rng.standard_normal(150), np.full(150, 0.05))
    walk = (t, 19 + np.cumsum(rng.normal(0, 0.05, 150)), np.full(150, 0.03))
    short = (t[:1], np.array([18.0]), np.array([0.1]))
    return [sine, noise, walk, short]


def test_one_row_per_light_curve_in_the_declared_columns(curves):
    out = light_curve_features(*_flat(curves))
    assert list(out.columns) == feature_names()
    assert len(out) == len(curves)
    assert all(c.startswith("lc_") for c in out.columns)
    assert (out.dtypes == np.float32).all()
    empty = light_curve_features(np.array([0]), *(np.zeros(0),) * 3)
    assert list(empty.columns) == feature_names() and len(empty) == 0


def test_values_match_numpy_definitions(curves):
    out = light_curve_features(*_flat(curves[:3]))
    for row, (_t, m, e) in enumerate(curves[:3]):
        assert out.loc[row, "lc_amplitude"] == pytest.approx((m.max() - m.min()) / 2, rel=1e-5)
        assert out.loc[row, "lc_standard_deviation"] == pytest.approx(m.std(ddof=1), rel=1e-5)
        eta = np.sum(np.diff(m) ** 2) / (len(m) - 1) / m.var(ddof=1)
        assert out.loc[row, "lc_eta"] == pytest.approx(eta, rel=1e-4)
        w = 1 / e**2
        chi2 = np.sum(w * (m - np.sum(w * m) / w.sum()) ** 2) / (len(m) - 1)
        assert out.loc[row, "lc_chi2"] == pytest.approx(chi2, rel=1e-4)
    # The periodogram finds the sine's period; a red-noise walk has a small von Neumann ratio.
    assert out.loc[0, "lc_periodogram_period_0"] == pytest.approx(37.0, rel=0.02)
    assert out.loc[2, "lc_eta"] < 0.2 < 1.5 < out.loc[1, "lc_eta"]


def test_too_short_light_curves_get_nan(curves):
    out = light_curve_features(*_flat(curves))
    assert out.iloc[3].isna().all()
    assert out.iloc[:3].notna().all().all()


def test_feature_sets_share_the_magnitude_once():
    assert features_of(["ztf", "shallow"]) == list(
        pd.Index([*FEATURE_SETS["ztf"], *feature_names()])
    )
    assert features_of(["ztf", "shallow"]).count("mag_median") == 1
