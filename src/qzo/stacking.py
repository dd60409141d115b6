"""Entry point of the ``xgb_train`` rule: the stacked training table and the XGBoost models.

The light-curve probabilities XGBoost learns from are out of sample: for the train split they
come from the cross-fitting folds (a classifier fine-tuned without the row's fold), for the val
and test splits from the full classifier, which never trained on them. The same models are also
fitted on in-sample probabilities (the full classifier on its own training rows, as the authors
did) to measure what that leakage would have reported.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from .io import write_csv_atomic, write_json_atomic, write_parquet_atomic
from .metrics import class_scores, redshift_scores
from .xgb import (
    CATALOG_MODELS,
    LC_PROBABILITIES,
    QSO,
    REDSHIFT_FEATURES,
    XGBSettings,
    best_iteration,
    features_of,
    fit_classifier,
    fit_regressor,
    gain_importance,
    predict_proba,
    predict_redshift,
    probability_columns,
    save_model,
)

log = logging.getLogger(__name__)

_LABEL_COLUMNS = ["objectid", "split", "fold", "label", "class", "z", "shard"]


def read_features(features_dir, labels: pd.DataFrame) -> pd.DataFrame:
    """The feature rows of the training objects, from the feature tables
    (``features_dir/<shard>.parquet``) of the shards they lie on."""
    wanted = pd.Index(labels["objectid"])
    frames = []
    for shard in sorted(labels["shard"].unique()):
        table = pd.read_parquet(Path(features_dir) / f"{shard}.parquet")
        frames.append(table[table["objectid"].isin(wanted)])
    features = pd.concat(frames, ignore_index=True)
    missing = wanted.difference(features["objectid"])
    if len(missing):
        raise AssertionError(f"{len(missing)} training objects have no feature row")
    return features


def stacked_probabilities(labels: pd.DataFrame, full: pd.DataFrame, folds: list[pd.DataFrame]):
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


def _fit_and_score(table: pd.DataFrame, features, settings: XGBSettings):
    split = table["split"]
    model = fit_classifier(
        table[split == "train"], table[split == "val"], features, "label", settings
    )
    test = table[split == "test"]
    return model, class_scores(test["label"], predict_proba(model, test), QSO)


def run_xgb_train(
    training_set, full_predictions, fold_predictions, features_dir, cfg: dict, out: dict
) -> dict:
    """Fit and save the catalog's models (``ztf``, ``ztf_wise``, ``redshift``), run the
    experiments of ``cfg['experiments']``, the in-sample comparison and the feature importance.

    ``out`` names the outputs: models (a directory), predictions, experiments, stacking,
    importance, summary.
    """
    settings = XGBSettings.from_config(cfg)
    labels = pq.read_table(training_set, columns=_LABEL_COLUMNS).to_pandas()
    features = read_features(features_dir, labels)
    table = labels.merge(features, on="objectid", how="left", validate="one_to_one")
    oof, in_sample = stacked_probabilities(
        labels,
        pd.read_parquet(full_predictions),
        [pd.read_parquet(p) for p in fold_predictions],
    )
    stacked = table.copy()
    stacked[LC_PROBABILITIES] = oof
    leaky = table.copy()
    leaky[LC_PROBABILITIES] = in_sample

    models_dir = Path(out["models"])
    predictions = stacked[["objectid", "ra", "dec", "n_obs", "mag_median", "snr_mean"]].copy()
    predictions[LC_PROBABILITIES] = oof
    stacking_rows, summary = (
        [],
        {"rows": {s: int(n) for s, n in labels["split"].value_counts().items()}},
    )
    for name, sets in CATALOG_MODELS.items():
        feats = features_of(sets)
        model, scores = _fit_and_score(stacked, feats, settings)
        save_model(model, models_dir / f"{name}.json")
        predictions[probability_columns(name)] = predict_proba(model, stacked)
        _, leaky_scores = _fit_and_score(leaky, feats, settings)
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
    regressor = fit_regressor(
        table[qso & (split == "train")],
        table[qso & (split == "val")],
        REDSHIFT_FEATURES,
        "z",
        settings,
    )
    save_model(regressor, models_dir / "redshift.json")
    redshift = predict_redshift(regressor, table)
    predictions["redshift"] = redshift
    test_qso = qso & (split == "test")
    summary["redshift_test"] = redshift_scores(table["z"][test_qso], redshift[test_qso])

    experiments = []
    for sets in cfg["experiments"]:
        _, scores = _fit_and_score(stacked, features_of(sets), settings)
        experiments.append({"features": " + ".join(s.upper() for s in sets), **scores})
    # Feature importance (the paper's Fig. 7): QSO vs the rest, every feature set.
    binary = stacked.assign(is_qso=(stacked["label"] == QSO).astype(int))
    all_sets = list(dict.fromkeys(s for sets in cfg["experiments"] for s in sets))
    importance_model = fit_classifier(
        binary[split == "train"], binary[split == "val"], features_of(all_sets), "is_qso", settings
    )
    importance = gain_importance(importance_model).rename("gain_share").rename_axis("feature")

    for col in ("class", "z", "split", "wise_sep_arcsec", "is_duplicate", "timespan"):
        predictions[col] = table[col].to_numpy()
    write_parquet_atomic(predictions, out["predictions"])
    write_csv_atomic(pd.DataFrame(experiments), out["experiments"])
    write_csv_atomic(pd.DataFrame(stacking_rows), out["stacking"])
    write_csv_atomic(importance.reset_index(), out["importance"])
    summary["stacking"] = stacking_rows
    summary["experiments"] = experiments
    write_json_atomic(summary, out["summary"])
    log.info("summary: %s", json.dumps(summary, default=str))
    return summary
