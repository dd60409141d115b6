"""qzo.models.support: distances to the labelled set in units of held-out labelled objects'."""

import numpy as np
import pandas as pd
import pytest

from qzo.models.support import (
    LIGHT_CURVE_SUPPORT,
    LOG_SUPPORT,
    SUPPORT_COLUMNS,
    WISE_SUPPORT,
    fit_label_support,
    fit_on_splits,
    label_distance,
    load_label_support,
    save_label_support,
)


def objects(n: int, rng: np.random.Generator, wise: bool = True) -> pd.DataFrame:
    """Objects with every support column drawn around 1 (logs near 0), WISE or not."""
    frame = pd.DataFrame({c: rng.lognormal(0.0, 0.3, n) for c in SUPPORT_COLUMNS}, dtype=np.float64)
    if not wise:
        frame[WISE_SUPPORT] = np.nan
    return frame


def test_the_unit_is_the_reference_objects_quantile():
    """By construction a share 1 − quantile of the reference objects lies outside (distance
    > 1), and the reference object at the quantile sits at distance 1."""
    rng = np.random.default_rng(1)
    labelled, reference = objects(400, rng), objects(201, rng)
    support = fit_label_support(labelled, reference, neighbours=3, quantile=0.9)
    distance = label_distance(support, reference)
    assert np.sum(distance > 1) == 20 and np.isclose(np.sort(distance)[180], 1.0)


def test_an_object_unlike_the_labels_is_outside_and_one_among_them_inside():
    rng = np.random.default_rng(2)
    labelled, reference = objects(300, rng), objects(100, rng)
    support = fit_label_support(labelled, reference, neighbours=5, quantile=0.99)
    odd = labelled.iloc[:2].copy()
    odd["lc_amplitude"] = [1.0, 100.0]  # the second varies 100 times more than any label
    distance = label_distance(support, odd)
    assert distance[0] < 1 < distance[1]


def test_objects_with_and_without_wise_meet_only_their_own_kind():
    """A WISE column far off moves only objects with WISE; without WISE the distance ignores
    the WISE columns, and each kind has its own unit."""
    rng = np.random.default_rng(3)
    labelled = pd.concat([objects(200, rng), objects(200, rng, wise=False)], ignore_index=True)
    reference = pd.concat([objects(80, rng), objects(80, rng, wise=False)], ignore_index=True)
    support = fit_label_support(labelled, reference)
    assert set(support.spaces) == {True, False}
    assert support.spaces[False].columns == ["mag_median", *LIGHT_CURVE_SUPPORT]
    probe = objects(2, rng)
    probe.loc[1, WISE_SUPPORT] = np.nan
    before = label_distance(support, probe)
    probe.loc[0, "wise_w1_w2"] = 1e3
    after = label_distance(support, probe)
    assert after[0] > 100 * before[0] and after[1] == before[1]


def test_log_columns_and_missing_statistics():
    """Log columns are compared as log10 (a factor 10 is one unit of log); a missing statistic
    counts as the labelled median, so it neither helps nor hurts."""
    assert set(LOG_SUPPORT) <= set(LIGHT_CURVE_SUPPORT)
    rng = np.random.default_rng(4)
    labelled, reference = objects(300, rng), objects(100, rng)
    support = fit_label_support(labelled, reference, neighbours=1)
    probe = pd.DataFrame([labelled.median()] * 2)
    probe.iloc[1, probe.columns.get_loc("lc_skew")] = np.nan
    d = label_distance(support, probe)
    assert np.isclose(d[0], d[1])


def test_a_kind_without_labels_is_outside_and_bad_settings_are_refused():
    rng = np.random.default_rng(5)
    labelled, reference = objects(50, rng), objects(20, rng)
    support = fit_label_support(labelled, reference)  # no labelled object without WISE
    probe = objects(2, rng)
    probe.loc[1, WISE_SUPPORT] = np.nan
    distance = label_distance(support, probe)
    assert np.isfinite(distance[0]) and distance[1] == np.inf
    with pytest.raises(ValueError, match="quantile"):
        fit_label_support(labelled, reference, quantile=1.0)
    with pytest.raises(ValueError, match="neighbours"):
        fit_label_support(labelled, reference, neighbours=0)


def test_a_saved_support_measures_the_same_distances(tmp_path):
    rng = np.random.default_rng(6)
    labelled = pd.concat([objects(150, rng), objects(150, rng, wise=False)], ignore_index=True)
    reference = pd.concat([objects(60, rng), objects(60, rng, wise=False)], ignore_index=True)
    labelled["split"], reference["split"] = "train", "val"
    settings = {"neighbours": 4, "quantile": 0.95, "max_labelled": None}
    support = fit_on_splits(pd.concat([labelled, reference]), settings)
    save_label_support(support, tmp_path / "support.npz")
    loaded = load_label_support(tmp_path / "support.npz")
    probe = pd.concat([objects(20, rng), objects(20, rng, wise=False)], ignore_index=True)
    assert np.array_equal(label_distance(loaded, probe), label_distance(support, probe))
    assert (loaded.neighbours, loaded.quantile) == (4, 0.95)
    # The unit comes from the val rows alone: 5 % of them (3 of 60 per kind) lie beyond it.
    assert np.sum(label_distance(loaded, reference) > 1) == 6


def test_a_sampled_support_keeps_its_unit_exact():
    """With max_labelled the tree holds a sample, and the unit is measured against it: still
    a share 1 − quantile of the reference objects beyond 1."""
    rng = np.random.default_rng(7)
    labelled, reference = objects(500, rng), objects(101, rng)
    support = fit_label_support(labelled, reference, quantile=0.9, max_labelled=120)
    assert support.spaces[True].tree.n == 120
    assert np.sum(label_distance(support, reference) > 1) == 10
    with pytest.raises(ValueError, match="max_labelled"):
        fit_label_support(labelled, reference, neighbours=5, max_labelled=4)
