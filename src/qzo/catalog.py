"""Per-object predictions (``xgb_infer``) and the published files (``catalog``), METHOD.md §6.

- ``ZTF_all_QSO.csv``: every object that either XGBoost model classifies QSO (argmax); no cuts,
  duplicates kept and flagged.
- ``QZO.csv``: ``p_WISE_QSO`` above the threshold, not a duplicate, and g < n_obs/80 + 20.375;
  no ``is_duplicate`` column.
- ``train.csv``: the training set's predictions, without ID and duplicate flag (plus the
  spectroscopic class, redshift and split, so the file can be scored).

The catalog job streams group by group (memory bounded by one group), checks that every
preprocessed object has exactly one prediction, and writes Parquet twins and a HATS copy of the
full per-object table.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .hats import write_hats_metadata
from .healpix import HEALPIX_29
from .io import atomic_path, write_json_atomic, write_parquet_atomic
from .metrics import magnitude_cut
from .partition import shards_of_plan
from .xgb import (
    CATALOG_MODELS,
    LC_PROBABILITIES,
    QSO,
    load_model,
    predict_proba,
    predict_redshift,
    probability_columns,
)

log = logging.getLogger(__name__)

P_COLUMNS = probability_columns("ztf")
P_WISE_COLUMNS = probability_columns("ztf_wise")
CATALOG_COLUMNS = [
    "ID",
    "ra",
    "dec",
    "n_obs",
    "is_duplicate",
    "mag_median",
    *P_COLUMNS,
    *P_WISE_COLUMNS,
    "redshift",
]
QZO_COLUMNS = [c for c in CATALOG_COLUMNS if c != "is_duplicate"]
TRAIN_COLUMNS = [c for c in CATALOG_COLUMNS if c not in ("ID", "is_duplicate")] + [
    "class",
    "z_spec",
    "split",
]
# The full per-object table (HATS copy) adds these to the catalog columns.
EXTRA_COLUMNS = ["snr_mean", "timespan", "wise_sep_arcsec", *LC_PROBABILITIES, HEALPIX_29]


def any_qso(frame: pd.DataFrame) -> np.ndarray:
    """Classified QSO (argmax) by either model."""
    return (frame[P_COLUMNS].to_numpy().argmax(1) == QSO) | (
        frame[P_WISE_COLUMNS].to_numpy().argmax(1) == QSO
    )


def qzo_selection(frame: pd.DataFrame, cfg: dict) -> np.ndarray:
    """The QZO cuts: p_WISE_QSO > threshold, not a duplicate, g < n_obs/slope + intercept."""
    return (
        (frame["p_WISE_QSO"].to_numpy() > cfg["qso_probability"])
        & ~frame["is_duplicate"].to_numpy(bool)
        & magnitude_cut(
            frame["mag_median"], frame["n_obs"], cfg["mag_cut_slope"], cfg["mag_cut_intercept"]
        )
    )


def load_models(models_dir) -> dict:
    """The catalog's boosters: ``ztf``, ``ztf_wise`` and ``redshift``."""
    return {
        name: load_model(Path(models_dir) / f"{name}.json")
        for name in [*CATALOG_MODELS, "redshift"]
    }


def predict_objects(features: pd.DataFrame, models: dict) -> pd.DataFrame:
    """The catalog columns (and the extras) for objects with features and ``p_lc_*``."""
    out = pd.DataFrame({"ID": features["objectid"].to_numpy()})
    for col in ("ra", "dec", "n_obs", "is_duplicate", "mag_median"):
        out[col] = features[col].to_numpy()
    for name in CATALOG_MODELS:
        out[probability_columns(name)] = predict_proba(models[name], features)
    out["redshift"] = predict_redshift(models["redshift"], features)
    for col in EXTRA_COLUMNS:
        out[col] = features[col].to_numpy()
    return out


def run_xgb_infer(models_dir, group_predictions, feature_paths, shards, out_path) -> int:
    """XGBoost predictions for a group of shards (the group of ``astromer_infer``).

    Each shard's feature rows and light-curve probabilities must cover the same objects;
    otherwise the job fails naming the shard.
    """
    models = load_models(models_dir)
    p_lc = pd.read_parquet(group_predictions)
    parts = []
    for shard, path in zip(shards, feature_paths, strict=True):
        features = pd.read_parquet(path)
        probs = p_lc[p_lc["shard"] == shard]
        merged = features.merge(
            probs[["objectid", *LC_PROBABILITIES]], on="objectid", how="inner", validate="1:1"
        )
        if not len(merged) == len(features) == len(probs):
            raise AssertionError(
                f"shard {shard}: {len(features)} objects with features, {len(probs)} with "
                f"light-curve probabilities, {len(merged)} with both"
            )
        parts.append(predict_objects(merged, models).assign(shard=shard))
    table = pd.concat(parts, ignore_index=True)
    write_parquet_atomic(table, out_path)
    return len(table)


def train_table(predictions: pd.DataFrame) -> pd.DataFrame:
    """``train.csv``'s rows from ``xgb_train``'s training-set predictions."""
    out = predictions.rename(columns={"z": "z_spec"})
    return out[TRAIN_COLUMNS]


class _Sink:
    """A CSV and a Parquet file written batch by batch, renamed into place on close."""

    def __init__(self, csv_path, parquet_path, schema: pa.Schema):
        self.paths = [Path(csv_path), Path(parquet_path)]
        self.tmp = [p.with_name(f".{p.name}.partial") for p in self.paths]
        for p in self.paths:
            p.parent.mkdir(parents=True, exist_ok=True)
        self.schema = schema
        self.csv = pacsv.CSVWriter(str(self.tmp[0]), schema)
        self.parquet = pq.ParquetWriter(str(self.tmp[1]), schema, compression="zstd")
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        table = table.cast(self.schema)
        self.csv.write_table(table)
        self.parquet.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        self.csv.close()
        self.parquet.close()
        for tmp, path in zip(self.tmp, self.paths, strict=True):
            tmp.replace(path)


def _arrow(frame: pd.DataFrame, columns) -> pa.Table:
    return pa.Table.from_pandas(frame[columns], preserve_index=False)


def run_catalog(
    group_paths, preprocess_summary, training_predictions, plan_path, cfg: dict, out: dict
) -> dict:
    """Gather the groups into the published files. ``out`` names: all_qso_csv, all_qso_parquet,
    qzo_csv, qzo_parquet, train_csv, train_parquet, hats (a directory), summary."""
    expected = json.loads(Path(preprocess_summary).read_text())["objects_out"]
    plan = json.loads(Path(plan_path).read_text())
    shards = shards_of_plan(plan)
    hats_dir = Path(out["hats"])
    hats_tmp = hats_dir.with_name(f".{hats_dir.name}.partial")
    shutil.rmtree(hats_tmp, ignore_errors=True)
    sinks, seen = {}, set()
    counts = {"objects": 0, "ZTF_all_QSO": 0, "QZO": 0, "duplicates": 0}
    all_qso_duplicates = 0
    schema = None
    for path in group_paths:
        table = pd.read_parquet(path)
        for shard, rows in table.groupby("shard", sort=False):
            if shard in seen:
                raise AssertionError(f"{path}: shard {shard} appears in two groups")
            if not rows["ID"].is_unique:
                raise AssertionError(f"{path}: shard {shard} repeats an object ID")
            seen.add(shard)
            full = _arrow(rows.sort_values("ID"), [*CATALOG_COLUMNS, *EXTRA_COLUMNS])
            schema = schema or full.schema
            write_parquet_atomic(full.cast(schema), hats_tmp / "dataset" / f"{shard}.parquet")
        if not sinks:
            sinks = {
                name: _Sink(out[f"{name}_csv"], out[f"{name}_parquet"], _arrow(table, cols).schema)
                for name, cols in (("all_qso", CATALOG_COLUMNS), ("qzo", QZO_COLUMNS))
            }
        table = table.sort_values("ID", kind="stable")
        chosen = table[any_qso(table)]
        sinks["all_qso"].write(_arrow(chosen, CATALOG_COLUMNS))
        all_qso_duplicates += int(chosen["is_duplicate"].sum())
        sinks["qzo"].write(_arrow(table[qzo_selection(table, cfg)], QZO_COLUMNS))
        counts["objects"] += len(table)
        counts["duplicates"] += int(table["is_duplicate"].sum())
    if schema is None:
        raise AssertionError("no object has a prediction: nothing to catalog")
    if counts["objects"] != expected:
        raise AssertionError(
            f"{counts['objects']} objects have predictions, {expected} were preprocessed"
        )
    # A shard whose objects were all dropped still gets its (empty) HATS file.
    for shard in shards.names:
        if shard not in seen:
            write_parquet_atomic(schema.empty_table(), hats_tmp / "dataset" / f"{shard}.parquet")
    write_hats_metadata(hats_tmp, shards, "qzo_objects", "ra", "dec")
    shutil.rmtree(hats_dir, ignore_errors=True)
    hats_tmp.rename(hats_dir)
    counts["ZTF_all_QSO"], counts["QZO"] = sinks["all_qso"].rows, sinks["qzo"].rows
    for sink in sinks.values():
        sink.close()
    train = train_table(pd.read_parquet(training_predictions))
    write_parquet_atomic(train, out["train_parquet"])
    with atomic_path(out["train_csv"]) as tmp:
        pacsv.write_csv(_arrow(train, TRAIN_COLUMNS), str(tmp))
    counts["train"] = len(train)
    counts["ZTF_all_QSO_duplicate_fraction"] = (
        all_qso_duplicates / counts["ZTF_all_QSO"] if counts["ZTF_all_QSO"] else 0.0
    )
    write_json_atomic(counts, out["summary"])
    log.info("catalog: %s", counts)
    return counts
