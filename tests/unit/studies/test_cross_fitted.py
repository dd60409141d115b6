"""The cross-fitted comparison: every train-split object classified by models that did not
train on it."""

import numpy as np
import pandas as pd
import pytest

from qzo.config import default_config
from qzo.config.settings import XGBSettings
from qzo.models.xgb import LC_PROBABILITIES, features_of
from qzo.products.evaluate import LIKELIHOOD_FEATURES
from qzo.studies.cross_fitted import (
    cross_fitted_classes,
    cross_fitted_models,
    out_of_fold_transformer,
)

QSO, STAR = 1, 2


def test_each_fold_is_classified_by_a_model_that_never_saw_it():
    """Two folds with opposite rules (fold 0: QSO where x > 0, fold 1: QSO where x < 0): a
    model fitted on the other fold gets every object wrong, one that saw its own fold would
    not."""
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
    classes = cross_fitted_classes(pd.concat([table, val]), features, settings)
    assert len(classes) == n
    assert (classes != table["label"].to_numpy()).mean() > 0.9


def test_the_transformer_classes_follow_the_train_split_and_cover_it(tmp_path):
    """Each object gets its fold's argmax, in the train split's order; a missing object fails
    with the files named."""
    probabilities = np.eye(3)[[1, 2, 0, 1]]
    ids = pd.Series([10, 11, 12, 13])
    paths = []
    for k, rows in enumerate(([3, 0], [2, 1])):
        frame = pd.DataFrame(probabilities[rows], columns=LC_PROBABILITIES)
        frame.insert(0, "objectid", ids.to_numpy()[rows])
        paths.append(tmp_path / f"fold{k}.parquet")
        frame.to_parquet(paths[-1])
    assert out_of_fold_transformer(ids, paths).tolist() == [1, 2, 0, 1]
    with pytest.raises(ValueError, match=r"fold1\.parquet: the folds hold 4 rows .* for 5"):
        out_of_fold_transformer(pd.Series([10, 11, 12, 13, 14]), paths)


def test_the_likelihood_model_reads_each_object_s_own_likelihoods(tmp_path):
    """Likelihoods that name the class (ll_qso > 0 exactly for QSOs), given in another order
    than the labels: the likelihood model classifies nearly every object, while the shallow
    model on noise does not, and the transformer's classes come from the fold files."""
    rng = np.random.default_rng(1)
    n = 600
    features = features_of(["shallow"])
    labelled = pd.DataFrame(rng.normal(size=(n, len(features))), columns=features)
    labelled["objectid"] = np.arange(1000, 1000 + n)
    labelled["n_obs"] = 100
    labelled["label"] = np.where(rng.random(n) < 0.3, QSO, STAR)
    labelled["split"] = np.where(np.arange(n) < 500, "train", "val")
    labelled["fold"] = np.where(labelled["split"] == "train", np.arange(n) % 2, -1)
    likelihoods = pd.DataFrame(
        {
            "ll_qso": np.where(labelled["label"] == QSO, 5.0, -5.0) + rng.normal(0, 1, n),
            "ll_llagn": rng.normal(0, 1, n),
            "ll_red_noise": rng.normal(0, 1, n),
        },
        index=pd.Index(labelled["objectid"], name="objectid"),
    ).sample(frac=1, random_state=2)
    train = labelled[labelled["split"] == "train"]
    paths = []
    for fold in (0, 1):
        rows = train[train["fold"] == fold]
        frame = pd.DataFrame(np.eye(3)[np.full(len(rows), STAR)], columns=LC_PROBABILITIES)
        frame.insert(0, "objectid", rows["objectid"].to_numpy())
        paths.append(tmp_path / f"fold{fold}.parquet")
        frame.to_parquet(paths[-1])
    settings = XGBSettings.from_config(default_config()["xgb"], threads=1)
    references = {"likelihood": (likelihoods, LIKELIHOOD_FEATURES)}
    models = cross_fitted_models(labelled, paths, settings, references)
    assert models["objectid"].tolist() == train["objectid"].tolist()
    assert (models["likelihood"] == models["label"]).mean() > 0.98
    assert (models["shallow"] != models["label"]).mean() > 0.1
    assert (models["transformer"] == STAR).all() and "oracle" not in models
