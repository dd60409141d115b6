"""Scores of the paper's tables on constructed cases."""

import numpy as np

from qzo.models.metrics import binary_scores, class_scores, magnitude_cut, redshift_scores


def test_scores_on_constructed_cases():
    s = binary_scores([1, 1, 0, 0, 1], [1, 0, 1, 0, 1])
    assert (s["purity"], s["completeness"], s["f1"]) == (2 / 3, 2 / 3, 2 / 3)
    c = class_scores([0, 1, 2, 1], np.eye(3)[[0, 1, 1, 2]])
    assert c["accuracy"] == 0.5 and c["qso_f1"] == 0.5
    z = redshift_scores([1.0, 2.0], [1.0, 3.5])
    assert z["frac_dz_1pz_gt_0.2"] == 0.5 and z["frac_dz_1pz_gt_0.5"] == 0.0


def test_magnitude_cut_is_strict():
    assert list(magnitude_cut([20.0, 20.375], [0, 0])) == [True, False]
