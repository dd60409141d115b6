"""Stages of ``rules/xgb.smk``: the XGBoost models on the stacked training set, and their
predictions for groups of shards."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from qzo.config.settings import XGBSettings
from qzo.io import StrPath
from qzo.io.atomic import write_csv_atomic, write_json_atomic, write_parquet_atomic
from qzo.models.support import (
    SUPPORT_COLUMNS,
    fit_on_splits,
    label_distance,
    load_label_support,
    save_label_support,
)
from qzo.models.xgb import LC_PROBABILITIES, MODEL_NAMES, save_model
from qzo.products.catalog import LABEL_DISTANCE, load_models, predict_shard
from qzo.training.stacking import LABEL_COLUMNS, fit_catalog_models
from qzo.training.training_set import read_features

log = logging.getLogger(__name__)


def _model_paths(names: Sequence[str], paths: Sequence[StrPath]) -> dict[str, StrPath]:
    """Model name → file; the names must be the library's boosters."""
    if list(names) != MODEL_NAMES:
        raise ValueError(f"the rule names the models {list(names)}, the library {MODEL_NAMES}")
    return dict(zip(names, paths, strict=True))


def xgb_train(
    *,
    training_set: StrPath,
    full_predictions: StrPath,
    fold_predictions: Sequence[StrPath],
    features: str,
    support: StrPath,
    settings: dict,
    threads: int,
    model_names: Sequence[str],
    models: Sequence[StrPath],
    predictions: StrPath,
    experiments: StrPath,
    light_curve_models: StrPath,
    cross_fitted_models: StrPath,
    stacking: StrPath,
    importance: StrPath,
    summary: StrPath,
) -> dict:
    """The catalog's boosters (``models``, one file per name of ``model_names``) fitted on
    out-of-fold light-curve probabilities, the training set's predictions, Table 3's
    ``experiments``, the light-curve models' test-split classes (``light_curve_models``) and
    cross-fitted train-split classes (``cross_fitted_models``), the in-sample ``stacking``
    comparison, the feature ``importance`` and a ``summary``. The training objects' feature
    rows come from the feature tables of the shards they lie on (``features``: the path with a
    ``{shard}`` field); ``settings`` is the config section ``xgb``. The predictions carry each
    object's ``label_distance`` (rule ``label_support``'s ``support``), as the sky's do."""
    labels = pq.read_table(training_set, columns=LABEL_COLUMNS).to_pandas()
    rows = read_features(features, labels)
    result = fit_catalog_models(
        labels,
        rows,
        pd.read_parquet(full_predictions),
        [pd.read_parquet(p) for p in fold_predictions],
        XGBSettings.from_config(settings, threads=threads),
    )
    distance = label_distance(load_label_support(support), rows).astype(np.float32)
    by_object = pd.Series(distance, index=rows["objectid"].to_numpy())
    objects = result.predictions["objectid"]
    result.predictions[LABEL_DISTANCE] = by_object.reindex(objects).to_numpy()
    for name, path in _model_paths(model_names, models).items():
        save_model(result.boosters[name], path)
    write_parquet_atomic(result.predictions, predictions)
    write_csv_atomic(result.experiments, experiments)
    write_parquet_atomic(result.light_curve_models, light_curve_models)
    write_parquet_atomic(result.cross_fitted_models, cross_fitted_models)
    write_csv_atomic(result.stacking, stacking)
    write_csv_atomic(result.importance, importance)
    write_json_atomic(result.summary, summary)
    log.info("summary: %s", json.dumps(result.summary, default=str))
    return result.summary


def label_support(
    *, training_set: StrPath, features: str, settings: dict, support: StrPath
) -> dict:
    """The labelled set's support (``qzo.models.support``): the train split's objects (a
    sample of at most ``max_labelled`` of each kind), its unit from the val split's, with the
    config section ``catalog.label_support`` (``settings``), written to ``support``. The
    objects' feature rows come from the feature tables of their shards (``features``: the path
    with a ``{shard}`` field). Returns how many objects of each kind (with WISE or not) it
    holds and their units; a kind without train or val objects is logged as a warning, since
    every object of that kind will lie outside."""
    labels = pq.read_table(training_set, columns=["objectid", "split", "shard"]).to_pandas()
    rows = read_features(features, labels, ["objectid", *SUPPORT_COLUMNS]).set_index("objectid")
    rows = rows.loc[labels["objectid"]].assign(split=labels["split"].to_numpy())
    fitted = fit_on_splits(rows, settings)
    for wise in (True, False):
        if wise not in fitted.spaces:
            log.warning(
                "%s: no train- or val-split object %s an AllWISE counterpart; every object "
                "%s one gets label_distance inf (outside the labels)",
                training_set,
                "with" if wise else "without",
                "with" if wise else "without",
            )
    save_label_support(fitted, support)
    summary = {
        ("with WISE" if wise else "without WISE"): {
            "objects": int(space.tree.n),
            "unit": space.threshold,
        }
        for wise, space in fitted.spaces.items()
    }
    log.info("label support: %s", json.dumps(summary))
    return summary


def xgb_infer(
    *,
    model_names: Sequence[str],
    models: Sequence[StrPath],
    support: StrPath,
    light_curve: StrPath,
    shards: Sequence[str],
    features: Sequence[StrPath],
    training_predictions: StrPath,
    predictions: StrPath,
) -> int:
    """``p_*``, ``p_WISE_*``, ``redshift`` and ``in_training_set`` for a group of shards (the
    group of ``astromer_infer``, whose probabilities are ``light_curve``), from each shard's
    ``features`` (one file per shard of ``shards``, in the same order); objects of the
    labelled set take the light-curve probabilities of ``training_predictions``
    (:func:`qzo.products.catalog.predict_shard`); ``label_distance`` from the ``support`` of
    rule ``label_support``."""
    boosters = load_models(_model_paths(model_names, models))
    fitted = load_label_support(support)
    p_lc = pd.read_parquet(light_curve)
    training = pd.read_parquet(
        training_predictions, columns=["objectid", "split", *LC_PROBABILITIES]
    ).set_index("objectid")  # once for the group, not per shard
    parts = [
        predict_shard(
            shard,
            pd.read_parquet(path),
            p_lc[p_lc["shard"] == shard],
            boosters,
            fitted,
            training,
        )
        for shard, path in zip(shards, features, strict=True)
    ]
    table = pd.concat(parts, ignore_index=True)
    write_parquet_atomic(table, predictions)
    return len(table)
