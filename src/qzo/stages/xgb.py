"""Stages of ``rules/xgb.smk``: the XGBoost models on the stacked training set, and their
predictions for groups of shards."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import pandas as pd
import pyarrow.parquet as pq

from qzo.config.settings import XGBSettings
from qzo.io import StrPath
from qzo.io.atomic import write_csv_atomic, write_json_atomic, write_parquet_atomic
from qzo.models.xgb import LC_PROBABILITIES, MODEL_NAMES, save_model
from qzo.products.catalog import load_models, predict_shard
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
    ``{shard}`` field); ``settings`` is the config section ``xgb``."""
    labels = pq.read_table(training_set, columns=LABEL_COLUMNS).to_pandas()
    result = fit_catalog_models(
        labels,
        read_features(features, labels),
        pd.read_parquet(full_predictions),
        [pd.read_parquet(p) for p in fold_predictions],
        XGBSettings.from_config(settings, threads=threads),
    )
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


def xgb_infer(
    *,
    model_names: Sequence[str],
    models: Sequence[StrPath],
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
    (:func:`qzo.products.catalog.predict_shard`)."""
    boosters = load_models(_model_paths(model_names, models))
    p_lc = pd.read_parquet(light_curve)
    training = pd.read_parquet(
        training_predictions, columns=["objectid", "split", *LC_PROBABILITIES]
    ).set_index("objectid")  # once for the group, not per shard
    parts = [
        predict_shard(
            shard, pd.read_parquet(path), p_lc[p_lc["shard"] == shard], boosters, training
        )
        for shard, path in zip(shards, features, strict=True)
    ]
    table = pd.concat(parts, ignore_index=True)
    write_parquet_atomic(table, predictions)
    return len(table)
