"""Scores of the paper's tables on constructed cases."""

import numpy as np

from qzo.models.metrics import (
    binary_scores,
    class_scores,
    interval,
    magnitude_cut,
    qso_f1_bootstrap,
    redshift_scores,
)


def test_scores_on_constructed_cases():
    s = binary_scores([1, 1, 0, 0, 1], [1, 0, 1, 0, 1])
    assert (s["purity"], s["completeness"], s["f1"]) == (2 / 3, 2 / 3, 2 / 3)
    c = class_scores([0, 1, 2, 1], np.eye(3)[[0, 1, 1, 2]])
    assert c["accuracy"] == 0.5 and c["qso_f1"] == 0.5
    z = redshift_scores([1.0, 2.0], [1.0, 3.5])
    assert z["frac_dz_1pz_gt_0.2"] == 0.5 and z["frac_dz_1pz_gt_0.5"] == 0.0


def test_magnitude_cut_is_strict():
    assert list(magnitude_cut([20.0, 20.375], [0, 0])) == [True, False]


def test_bootstrap_intervals_are_paired_and_cover_the_score():
    """200 objects, 50 QSOs: a perfect model scores 1 on every resample; a copy of a model
    differs from it by exactly 0 on every resample (paired); a model that finds 30 of the 50
    QSOs without false ones (F1 0.75) gets an interval around 0.75 whose width is what
    the binomial noise of 50 QSOs allows; chunking the resamples changes nothing."""
    labels = np.repeat([1, 0], [50, 150])
    partial = labels.copy()
    partial[:20] = 0
    predicted = {"perfect": labels, "partial": partial, "copy": partial.copy()}
    boot = qso_f1_bootstrap(labels, predicted, resamples=1000, seed=1)
    assert (boot["perfect"] == 1).all()
    assert ((boot["partial"] - boot["copy"]) == 0).all()
    low, high = interval(boot["partial"])
    assert low < 0.75 < high and 0.05 < high - low < 0.25
    assert interval(boot["perfect"] - boot["partial"])[0] > 0
    chunked = qso_f1_bootstrap(labels, predicted, resamples=1000, seed=1, chunk=7)
    assert chunked.equals(boot)


def test_interval_of_nothing_is_nan():
    """A bin without a QSO scores NaN on every resample; its interval is NaN, not an error."""
    assert all(np.isnan(interval([np.nan, np.nan])))
    assert interval([0.5, np.nan, 0.5]) == (0.5, 0.5)
