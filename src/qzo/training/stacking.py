"""Stacking: the XGBoost models of the catalog on the training set's light-curve probabilities.

The light-curve probabilities XGBoost learns from are out of sample: for the train split they
come from the cross-fitting folds (a classifier fine-tuned without the row's fold), for the val
and test splits from the full classifier, which never trained on them. The same models are also
fitted on in-sample probabilities (the full classifier on its own training rows, as the authors
did) to measure what that leakage would have reported.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from qzo.config.settings import XGBSettings
from qzo.models.metrics import class_scores, interval, qso_f1_bootstrap, redshift_scores
from qzo.models.xgb import (
    LC_PROBABILITIES,
    QSO,
    REDSHIFT_FEATURES,
    best_iteration,
    catalog_feature_sets,
    features_of,
    fit_classifier,
    fit_regressor,
    gain_importance,
    predict_proba,
    predict_redshift,
    probability_columns,
)

log = logging.getLogger(__name__)

#: The training-set columns the stacking reads.
LABEL_COLUMNS = ["objectid", "split", "fold", "label", "class", "z", "shard"]
#: Light-curve models compared object by object, beside the transformer alone: XGBoost on the
#: transformer's probabilities (deep), on the shallow light-curve statistics, and on both (the
#: catalog's ZTF model by default); each with ``mag_median``. On the test split, and cross-fitted
#: over every train-split object (:func:`cross_fitted_classes`), where ``deep`` learns from the
#: folds' probabilities of the other folds' objects.
LIGHT_CURVE_MODELS = {"deep": ["ztf"], "shallow": ["shallow"], "deep + shallow": ["ztf", "shallow"]}


def stacked_probabilities(
    labels: pd.DataFrame, full: pd.DataFrame, folds: Sequence[pd.DataFrame]
) -> tuple[np.ndarray, np.ndarray]:
    """(out-of-sample, in-sample) light-curve probabilities per training row.

    Every train-split row must appear in exactly one fold's predictions, and every row in the
    full classifier's; otherwise this fails loudly.
    """
    full = full.set_index("objectid")
    oof = pd.concat(folds).set_index("objectid")
    train = labels["split"].to_numpy() == "train"
    if not oof.index.is_unique or set(oof.index) != set(labels.loc[train, "objectid"]):
        raise AssertionError(
            f"the cross-fitting folds hold {len(oof)} rows ({oof.index.nunique()} distinct) "
            f"for {int(train.sum())} train-split objects"
        )
    missing = pd.Index(labels["objectid"]).difference(full.index)
    if len(missing):
        raise AssertionError(f"{len(missing)} training objects lack the classifier's probabilities")
    in_sample = full.loc[labels["objectid"], LC_PROBABILITIES].to_numpy()
    out_of_sample = in_sample.copy()
    out_of_sample[train] = oof.loc[labels.loc[train, "objectid"], LC_PROBABILITIES].to_numpy()
    return out_of_sample, in_sample


def fit_and_score(
    table: pd.DataFrame, features: Sequence[str], settings: XGBSettings
) -> tuple[Any, dict]:
    """A classifier on ``features`` fitted on the table's train split (early stopping on its
    val split), and its scores on its test split."""
    split = table["split"]
    model = fit_classifier(
        table[split == "train"], table[split == "val"], features, "label", settings
    )
    test = table[split == "test"]
    return model, class_scores(test["label"], predict_proba(model, test), QSO)


def cross_fitted_classes(
    table: pd.DataFrame, features: Sequence[str], settings: XGBSettings
) -> np.ndarray:
    """Out-of-fold classes of XGBoost on ``features`` for the train-split rows of ``table``
    (columns ``split``, ``fold``, ``label`` and the features), in their order: each fold's by a
    model fitted on the other folds' train rows, early-stopped on the val split, as the fold's
    transformer was."""
    train = table[table["split"] == "train"]
    val = table[table["split"] == "val"]
    folds = train["fold"].to_numpy()
    classes = np.full(len(train), -1)
    for fold in np.unique(folds):
        held = folds == fold
        model = fit_classifier(train[~held], val, features, "label", settings)
        classes[held] = predict_proba(model, train[held]).argmax(1)
    return classes


#: Table 3's reference row: the paired differences are to it.
REFERENCE_EXPERIMENT = "SHALLOW"


def with_intervals(
    experiments: list[dict], labels: np.ndarray, classes: dict[str, np.ndarray]
) -> list[dict]:
    """Table 3's rows (one per name of ``classes``, the test split's predicted classes) with
    95 % bootstrap intervals of their QSO F1 and, when the shallow model is a row, of each row's
    paired difference to it (:data:`REFERENCE_EXPERIMENT`)."""
    boot = qso_f1_bootstrap(labels, classes, QSO)
    rows = []
    for row in experiments:
        f1 = boot[row["features"]]
        low, high = interval(f1)
        row = {**row, "qso_f1_low": low, "qso_f1_high": high}
        if REFERENCE_EXPERIMENT in boot:
            low, high = interval(f1 - boot[REFERENCE_EXPERIMENT])
            row.update(minus_shallow_low=low, minus_shallow_high=high)
        rows.append(row)
    return rows


@dataclass
class CatalogModels:
    """What ``xgb_train`` produces: the boosters by name (``ztf``, ``ztf_wise``, ``redshift``),
    the training set's predictions, the tables behind Table 3, the stacking comparison and
    Fig. 7, the light-curve models' predicted classes on the test split, and the cross-fitted
    ones on the train split (with each object's ``fold``)."""

    boosters: dict
    predictions: pd.DataFrame
    experiments: pd.DataFrame
    light_curve_models: pd.DataFrame
    cross_fitted_models: pd.DataFrame
    stacking: pd.DataFrame
    importance: pd.DataFrame
    summary: dict


def fit_catalog_models(
    labels: pd.DataFrame,
    features: pd.DataFrame,
    full: pd.DataFrame,
    folds: Sequence[pd.DataFrame],
    settings: XGBSettings,
) -> CatalogModels:
    """Fit the catalog's models (``ztf``, ``ztf_wise``, ``redshift``) on out-of-fold light-curve
    probabilities, run the experiments of ``settings.experiments``, the in-sample comparison and
    the feature importance.

    ``labels`` is the training set (objectid, split, fold, label, class, z, shard), ``features``
    its feature rows, ``full`` the full classifier's probabilities and ``folds`` each
    cross-fitting fold's."""
    table = labels.merge(features, on="objectid", how="left", validate="one_to_one")
    oof, in_sample = stacked_probabilities(labels, full, folds)
    stacked = table.copy()
    stacked[LC_PROBABILITIES] = oof
    leaky = table.copy()
    leaky[LC_PROBABILITIES] = in_sample

    boosters = {}
    predictions = stacked[["objectid", "ra", "dec", "n_obs", "mag_median", "snr_mean"]].copy()
    predictions[LC_PROBABILITIES] = oof
    stacking_rows: list[dict] = []
    summary: dict = {"rows": {s: int(n) for s, n in labels["split"].value_counts().items()}}
    # Each feature-set model is fitted once, whether a catalog model, Table 3 or the
    # light-curve comparison asks for it.
    fitted: dict[tuple[str, ...], tuple[Any, dict]] = {}

    def fit_sets(sets: Sequence[str]) -> tuple[Any, dict]:
        if tuple(sets) not in fitted:
            fitted[tuple(sets)] = fit_and_score(stacked, features_of(sets), settings)
        return fitted[tuple(sets)]

    for name, sets in catalog_feature_sets(settings.catalog_light_curve_features).items():
        feats = features_of(sets)
        model, scores = fit_sets(sets)
        boosters[name] = model
        predictions[probability_columns(name)] = predict_proba(model, stacked)
        _, leaky_scores = fit_and_score(leaky, feats, settings)
        stacking_rows += [
            {"model": name, "light_curve_probabilities": "out-of-fold", **scores},
            {"model": name, "light_curve_probabilities": "in-sample", **leaky_scores},
        ]
        summary[f"{name}_best_iteration"] = best_iteration(model)
        log.info("%s: test %s; in-sample stacking: %s", name, scores, leaky_scores)

    # Photometric redshifts: QSOs with an AllWISE counterpart.
    has_wise = table["wise_sep_arcsec"].notna().to_numpy()
    qso = (table["label"].to_numpy() == QSO) & has_wise
    split = table["split"].to_numpy()
    for part in ("train", "val"):
        if not (qso & (split == part)).any():
            raise ValueError(f"no {part}-split QSO has an AllWISE counterpart: no redshift model")
    boosters["redshift"] = fit_regressor(
        table[qso & (split == "train")],
        table[qso & (split == "val")],
        REDSHIFT_FEATURES,
        "z",
        settings,
    )
    redshift = predict_redshift(boosters["redshift"], table)
    predictions["redshift"] = redshift
    test_qso = qso & (split == "test")
    summary["redshift_test"] = redshift_scores(table["z"][test_qso], redshift[test_qso])

    # The transformer alone: the argmax of its (out-of-sample) probabilities on the test split.
    test = split == "test"
    test_rows = stacked[test]
    experiments = [
        {
            "features": "ASTROMER alone",
            **class_scores(test_rows["label"], test_rows[LC_PROBABILITIES], QSO),
        }
    ]
    transformer = test_rows[LC_PROBABILITIES].to_numpy().argmax(1)

    @functools.cache
    def test_classes(sets: tuple[str, ...]) -> np.ndarray:
        """The test split's classes by the feature-set model, predicted once for Table 3 and
        the light-curve comparison."""
        return predict_proba(fit_sets(sets)[0], test_rows).argmax(1)

    classes = {"ASTROMER alone": transformer}
    for sets in settings.experiments:
        name = " + ".join(s.upper() for s in sets)
        experiments.append({"features": name, **fit_sets(sets)[1]})
        classes[name] = test_classes(tuple(sets))
    experiments = with_intervals(experiments, test_rows["label"].to_numpy(), classes)
    light_curve_models = test_rows[["objectid", "n_obs", "mag_median", "label"]].copy()
    light_curve_models["transformer"] = transformer
    for name, sets in LIGHT_CURVE_MODELS.items():
        light_curve_models[name] = test_classes(tuple(sets))
    # The test split holds a tenth of the labels; the folds classify the train split's objects
    # with transformers that did not train on them, eight times as many to compare on.
    train = split == "train"
    cross_fitted = stacked.loc[train, ["objectid", "fold", "n_obs", "mag_median", "label"]].copy()
    cross_fitted["transformer"] = oof[train].argmax(1)
    for name, sets in LIGHT_CURVE_MODELS.items():
        cross_fitted[name] = cross_fitted_classes(stacked, features_of(sets), settings)
    # Feature importance (the paper's Fig. 7): QSO vs the rest, every feature set.
    binary = stacked.assign(is_qso=(stacked["label"] == QSO).astype(int))
    all_sets = list(dict.fromkeys(s for sets in settings.experiments for s in sets))
    importance_model = fit_classifier(
        binary[split == "train"], binary[split == "val"], features_of(all_sets), "is_qso", settings
    )
    importance = gain_importance(importance_model).rename("gain_share").rename_axis("feature")

    for col in ("class", "z", "split", "wise_sep_arcsec", "is_duplicate", "timespan"):
        predictions[col] = table[col].to_numpy()
    summary["stacking"] = stacking_rows
    summary["experiments"] = experiments
    return CatalogModels(
        boosters=boosters,
        predictions=predictions,
        experiments=pd.DataFrame(experiments),
        light_curve_models=light_curve_models.reset_index(drop=True),
        cross_fitted_models=cross_fitted.reset_index(drop=True),
        stacking=pd.DataFrame(stacking_rows),
        importance=importance.reset_index(),
        summary=summary,
    )
