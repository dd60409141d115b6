"""The stacked light-curve probabilities XGBoost trains on: out of fold for the train split."""

import numpy as np
import pandas as pd
import pytest

from qzo.config import default_config
from qzo.config.settings import XGBSettings
from qzo.models.xgb import features_of
from qzo.training.stacking import cross_fitted_classes, stacked_probabilities, with_intervals

QSO, STAR = 1, 2


def test_stacking_uses_out_of_fold_probabilities_for_the_train_split():
    labels = pd.DataFrame({"objectid": [1, 2, 3, 4], "split": ["train", "train", "val", "test"]})
    full = pd.DataFrame(
        {"objectid": [1, 2, 3, 4], "p_lc_galaxy": [0.9] * 4, "p_lc_QSO": 0.05, "p_lc_star": 0.05}
    )
    folds = [
        pd.DataFrame({"objectid": [2], "p_lc_galaxy": [0.2], "p_lc_QSO": 0.7, "p_lc_star": 0.1}),
        pd.DataFrame({"objectid": [1], "p_lc_galaxy": [0.3], "p_lc_QSO": 0.6, "p_lc_star": 0.1}),
    ]
    oof, inside = stacked_probabilities(labels, full, folds)
    assert list(oof[:, 0]) == pytest.approx([0.3, 0.2, 0.9, 0.9])
    assert list(inside[:, 0]) == pytest.approx([0.9] * 4)
    with pytest.raises(AssertionError, match="cross-fitting folds hold 1 rows"):
        stacked_probabilities(labels, full, folds[:1])


def test_val_and_test_rows_get_the_full_classifier_and_gaps_fail():
    labels = pd.DataFrame(
        {"objectid": [7, 5, 9], "split": ["val", "train", "test"]}  # not in id order
    )
    full = pd.DataFrame(
        {
            "objectid": [9, 5, 7],
            "p_lc_galaxy": [0.1, 0.2, 0.3],
            "p_lc_QSO": [0.8, 0.7, 0.6],
            "p_lc_star": [0.1, 0.1, 0.1],
        }
    )
    fold = pd.DataFrame({"objectid": [5], "p_lc_galaxy": [0.5], "p_lc_QSO": 0.4, "p_lc_star": 0.1})
    oof, inside = stacked_probabilities(labels, full, [fold])
    # Rows in the training set's order; the train row out of fold, the others in-sample = full.
    assert oof[:, 1].tolist() == pytest.approx([0.6, 0.4, 0.8])
    assert inside[:, 1].tolist() == pytest.approx([0.6, 0.7, 0.8])
    # A train row in two folds, or a fold row that is not in the train split, is refused.
    with pytest.raises(AssertionError, match="2 rows"):
        stacked_probabilities(labels, full, [fold, fold])
    stray = fold.assign(objectid=7)
    with pytest.raises(AssertionError, match="cross-fitting folds"):
        stacked_probabilities(labels, full, [stray])
    # A training object the full classifier did not score is refused.
    with pytest.raises(AssertionError, match="1 training objects lack"):
        stacked_probabilities(labels, full[full["objectid"] != 9], [fold])


def test_table3_rows_get_intervals_and_paired_differences_to_shallow():
    labels = np.repeat([1, 0], [40, 60])
    worse = labels.copy()
    worse[:15] = 0
    rows = with_intervals(
        [{"features": "SHALLOW"}, {"features": "ZTF"}],
        labels,
        {"SHALLOW": labels, "ZTF": worse},
    )
    assert rows[0]["qso_f1_low"] == rows[0]["qso_f1_high"] == 1.0
    assert rows[0]["minus_shallow_low"] == rows[0]["minus_shallow_high"] == 0.0
    assert rows[1]["minus_shallow_high"] < 0 < rows[1]["qso_f1_low"]
    alone = with_intervals([{"features": "ZTF"}], labels, {"ZTF": worse})
    assert "minus_shallow_low" not in alone[0]


def test_each_fold_is_classified_by_a_model_that_never_saw_it():
    """Two folds with opposite rules (fold 0: QSO where x > 0, fold 1: QSO where x < 0): a
    model fitted on the other fold gets every object wrong, one that saw its own fold would
    not; the val rows only stop the training, and get no class."""
    rng = np.random.default_rng(0)
    n = 400
    x = rng.uniform(-1, 1, n)
    fold = np.repeat([0, 1], n // 2)
    qso = np.where(fold == 0, x > 0, x < 0)
    features = features_of(["shallow"])
    table = pd.DataFrame(rng.normal(size=(n, len(features))), columns=features)
    table[features[0]] = x
    table["label"] = np.where(qso, QSO, STAR)
    table["fold"] = fold
    table["split"] = "train"
    val = table.iloc[:100].assign(split="val", fold=-1)
    settings = XGBSettings.from_config(default_config()["xgb"], threads=1)
    classes = cross_fitted_classes(pd.concat([val, table]), features, settings)
    assert len(classes) == n
    assert (classes != table["label"].to_numpy()).mean() > 0.9
