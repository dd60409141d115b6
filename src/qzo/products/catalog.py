"""Per-object predictions (``xgb_infer``) and the published files (``catalog``), METHOD.md §6.

- ``ZTF_all_QSO.csv``: every object that either XGBoost model classifies QSO (argmax); no cuts,
  duplicates kept and flagged.
- ``QZO.csv``: ``p_WISE_QSO`` above the threshold, not a duplicate, and g < n_obs/80 + 20.375;
  no ``is_duplicate`` column.
- ``QZO_calibrated.csv`` (beyond the paper): the same cuts on the calibrated ``p_WISE_cal_QSO``
  (``qzo.models.calibration``).
- ``train.csv``: the training set's predictions, without ID and duplicate flag (plus the
  spectroscopic class, redshift and split, so the file can be scored).

The catalog job streams group by group (memory bounded by one group), checks that every
preprocessed object has exactly one prediction, and writes Parquet twins and a HATS copy of the
full per-object table.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml

from qzo.errors import InputDataError
from qzo.io import StrPath
from qzo.io.atomic import atomic_path, write_parquet_atomic
from qzo.io.hats_metadata import write_hats_metadata
from qzo.models.calibration import apply_calibration, calibrated_columns
from qzo.models.metrics import magnitude_cut
from qzo.models.support import LabelSupport, label_distance
from qzo.models.xgb import (
    CATALOG_CLASSIFIERS,
    LC_PROBABILITIES,
    MODEL_NAMES,
    QSO,
    load_model,
    predict_proba,
    predict_redshift,
    probability_columns,
)
from qzo.sky.healpix import HEALPIX_29, ShardSet

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
#: Objects the catalog's models were fitted on (train split) or stopped early on (val split):
#: their probabilities are not out-of-sample.
IN_TRAINING_SET = "in_training_set"
#: Each object's distance to the labelled set (``qzo.models.support``).
LABEL_DISTANCE = "label_distance"
FITTED_SPLITS = ("train", "val")
#: The calibrated probabilities of both models (``rule calibrate``).
CALIBRATED_COLUMNS = [c for name in CATALOG_CLASSIFIERS for c in calibrated_columns(name)]
# The full per-object table (HATS copy) adds these to the catalog columns.
EXTRA_COLUMNS = [
    "snr_mean",
    "timespan",
    "wise_sep_arcsec",
    *LC_PROBABILITIES,
    IN_TRAINING_SET,
    LABEL_DISTANCE,
    *CALIBRATED_COLUMNS,
    HEALPIX_29,
]


def published_columns(columns: Sequence[str], cuts: Mapping[str, Any]) -> list[str]:
    """A catalog's columns: ``columns`` (Table 6's), then ``in_training_set``, ``label_distance``
    and the calibrated probabilities unless the config section ``catalog`` (``cuts``) turns
    them off."""
    return [
        *columns,
        *([IN_TRAINING_SET] if cuts["in_training_set_column"] else []),
        *([LABEL_DISTANCE] if cuts["label_distance_column"] else []),
        *(CALIBRATED_COLUMNS if cuts["calibrated_columns"] else []),
    ]


def any_qso(frame: pd.DataFrame) -> np.ndarray:
    """Classified QSO (argmax) by either model."""
    return (frame[P_COLUMNS].to_numpy().argmax(1) == QSO) | (
        frame[P_WISE_COLUMNS].to_numpy().argmax(1) == QSO
    )


def qzo_selection(frame: pd.DataFrame, cfg: dict, probability: str = "p_WISE_QSO") -> np.ndarray:
    """The QZO cuts: ``probability`` (p_WISE_QSO; QZO_calibrated: p_WISE_cal_QSO) > threshold,
    not a duplicate, g < n_obs/slope + intercept."""
    return (
        (frame[probability].to_numpy() > cfg["qso_probability"])
        & ~frame["is_duplicate"].to_numpy(bool)
        & magnitude_cut(
            frame["mag_median"], frame["n_obs"], cfg["mag_cut_slope"], cfg["mag_cut_intercept"]
        )
    )


def load_models(paths: Mapping[str, StrPath]) -> dict:
    """The catalog's boosters (``ztf``, ``ztf_wise``, ``redshift``) from their files."""
    missing = sorted(set(MODEL_NAMES) - set(paths))
    if missing:
        raise ValueError(f"no file for the model(s) {missing}")
    return {name: load_model(paths[name]) for name in MODEL_NAMES}


#: The calibrated QZO's probability column.
CALIBRATED_QZO_PROBABILITY = "p_WISE_cal_QSO"


def predict_objects(features: pd.DataFrame, models: dict) -> pd.DataFrame:
    """The catalog columns (and the extras) for objects with features and ``p_lc_*``."""
    out = pd.DataFrame({"ID": features["objectid"].to_numpy()})
    for col in ("ra", "dec", "n_obs", "is_duplicate", "mag_median"):
        out[col] = features[col].to_numpy()
    for name in CATALOG_CLASSIFIERS:
        out[probability_columns(name)] = predict_proba(models[name], features)
    out["redshift"] = predict_redshift(models["redshift"], features)
    for col in EXTRA_COLUMNS:
        if col not in CALIBRATED_COLUMNS:  # added by the catalog job, after rule calibrate
            out[col] = features[col].to_numpy()
    return out


def predict_shard(
    shard: str,
    features: pd.DataFrame,
    light_curve: pd.DataFrame,
    models: dict,
    support: LabelSupport,
    training: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`predict_objects` for one shard's feature rows and light-curve probabilities
    (``objectid``, ``p_lc_*``), which must cover the same objects; otherwise an error naming
    the shard.

    Objects of the labelled set (``training``: ``xgb_train``'s training-set predictions,
    ``split`` and ``p_lc_*`` indexed by ``objectid``) get the light-curve probabilities
    XGBoost saw for them (out-of-fold on the train split) instead of the full classifier's,
    which was trained on them, so their catalog probabilities are ``train.csv``'s;
    ``in_training_set`` marks the train and val splits. ``label_distance`` is each object's
    distance to the labelled set (``support``, rule ``label_support``)."""
    merged = features.merge(
        light_curve[["objectid", *LC_PROBABILITIES]], on="objectid", how="inner", validate="1:1"
    )
    if not len(merged) == len(features) == len(light_curve):
        raise AssertionError(
            f"shard {shard}: {len(features)} objects with features, {len(light_curve)} with "
            f"light-curve probabilities, {len(merged)} with both"
        )
    merged[LABEL_DISTANCE] = label_distance(support, merged).astype(np.float32)
    merged[IN_TRAINING_SET] = False
    if training is not None:
        rows = merged["objectid"].isin(training.index).to_numpy()
        ids = merged.loc[rows, "objectid"]
        merged.loc[rows, LC_PROBABILITIES] = training.loc[ids, LC_PROBABILITIES].to_numpy()
        split = training.loc[ids, "split"].to_numpy()
        merged.loc[rows, IN_TRAINING_SET] = np.isin(split, FITTED_SPLITS)
    return predict_objects(merged, models).assign(shard=shard)


def train_table(predictions: pd.DataFrame) -> pd.DataFrame:
    """``train.csv``'s rows from ``xgb_train``'s training-set predictions."""
    out = predictions.rename(columns={"z": "z_spec"})
    return out[TRAIN_COLUMNS]


def shortest_positions(values: np.ndarray) -> pa.Array:
    """Positions as text: a value that is exactly a float32 (ZTF's ``objra``/``objdec`` are
    stored as float32) in the shortest form that reads back to that float32 (``241.05074``, not
    ``241.0507354736328``), any other in the shortest form of its float64."""
    values = np.asarray(values, np.float64)
    as32 = values.astype(np.float32)
    exact = as32.astype(np.float64) == values
    text = pa.array(as32).cast(pa.string())
    if exact.all():  # ZTF positions: no float64 text needed
        return text
    return pc.if_else(pa.array(exact), text, pa.array(values).cast(pa.string()))


#: Catalog columns written to CSV in their shortest float32 form where they are float32 values.
POSITION_COLUMNS = ("ra", "dec")


def csv_table(table: pa.Table) -> pa.Table:
    """The table as the catalog CSVs print it: positions by :func:`shortest_positions`."""
    for name in POSITION_COLUMNS:
        if name in table.column_names:
            i = table.column_names.index(name)
            column = shortest_positions(table.column(name).to_numpy())
            table = table.set_column(i, pa.field(name, pa.string()), column)
    return table


#: The catalogs' CSV dialect: no quotes (numbers, booleans and the spectroscopic class and split
#: names, none of which holds a comma or a quote).
CSV_OPTIONS = pacsv.WriteOptions(quoting_style="none")


class _Sink:
    """A CSV and a Parquet file written batch by batch, renamed into place on close."""

    def __init__(self, csv_path: StrPath, parquet_path: StrPath, schema: pa.Schema):
        self.paths = [Path(csv_path), Path(parquet_path)]
        self.tmp = [p.with_name(f".{p.name}.partial") for p in self.paths]
        for p in self.paths:
            p.parent.mkdir(parents=True, exist_ok=True)
        self.schema = schema
        self.csv = pacsv.CSVWriter(
            str(self.tmp[0]),
            csv_table(schema.empty_table()).schema,
            write_options=CSV_OPTIONS,
        )
        self.parquet = pq.ParquetWriter(str(self.tmp[1]), schema, compression="zstd")
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        table = table.cast(self.schema)
        self.csv.write_table(csv_table(table))
        self.parquet.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        self.csv.close()
        self.parquet.close()
        for tmp, path in zip(self.tmp, self.paths, strict=True):
            tmp.replace(path)


def read_column_spec(path: StrPath) -> dict[str, dict]:
    """The published columns' units and descriptions (``resources/catalog_columns.yaml``)."""
    try:
        spec = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InputDataError(path, f"not a readable column specification ({exc})") from None
    if not isinstance(spec, dict):
        raise InputDataError(path, "expected a mapping of column name to unit and description")
    for name, entry in spec.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("description"), str):
            raise InputDataError(path, "needs a description", column=name)
        if entry.get("unit") is not None and not isinstance(entry["unit"], str):
            raise InputDataError(path, "unit must be a string or null", column=name)
    return spec


def describe(schema: pa.Schema, spec: dict[str, dict], source: StrPath) -> pa.Schema:
    """``schema`` with each field's unit and description (from ``spec``, read from
    ``source``) as Parquet field metadata; a column the specification lacks is an error."""
    fields = []
    for field in schema:
        if field.name not in spec:
            raise InputDataError(
                source, "the catalog writes it but has no entry", column=field.name
            )
        entry = spec[field.name]
        meta = {"description": entry["description"], "unit": entry.get("unit") or ""}
        fields.append(field.with_metadata(meta))
    return pa.schema(fields, metadata=schema.metadata)


def _arrow(frame: pd.DataFrame, columns: Sequence[str]) -> pa.Table:
    return pa.Table.from_pandas(frame[columns], preserve_index=False)


def gather_catalogs(
    groups: Sequence[StrPath],
    shards: ShardSet,
    cuts: dict,
    expected_objects: int,
    columns: StrPath,
    calibration: dict,
    *,
    all_qso_csv: StrPath,
    all_qso_parquet: StrPath,
    qzo_csv: StrPath,
    qzo_parquet: StrPath,
    qzo_calibrated_csv: StrPath,
    qzo_calibrated_parquet: StrPath,
    hats: StrPath,
) -> dict:
    """Stream the prediction ``groups`` (``xgb_infer``'s files), with the probabilities of
    ``calibration`` (rule ``calibrate``) added, into ``ZTF_all_QSO``, ``QZO`` and
    ``QZO_calibrated`` (CSV and Parquet) and the HATS copy of every object's predictions (the
    directory ``hats``, one file per shard of ``shards``, empty ones included). Memory is
    bounded by one group. ``cuts`` is the config section ``catalog``. Nothing appears under its
    final name unless ``expected_objects`` (the preprocessed objects) have exactly one
    prediction each. Every
    Parquet schema carries the units and descriptions of the column specification ``columns``.
    Returns the counts."""
    spec = read_column_spec(columns)
    all_qso_columns = published_columns(CATALOG_COLUMNS, cuts)
    qzo_columns = published_columns(QZO_COLUMNS, cuts)
    hats_dir = Path(hats)
    hats_tmp = hats_dir.with_name(f".{hats_dir.name}.partial")
    shutil.rmtree(hats_tmp, ignore_errors=True)
    sinks: dict[str, _Sink] = {}
    seen: set[str] = set()
    counts: dict[str, Any] = {"objects": 0, "duplicates": 0}
    all_qso_duplicates = 0
    schema = None
    for path in groups:
        table = apply_calibration(pd.read_parquet(path), calibration)
        for shard, rows in table.groupby("shard", sort=False):
            if shard in seen:
                raise AssertionError(f"{path}: shard {shard} appears in two groups")
            if not rows["ID"].is_unique:
                raise AssertionError(f"{path}: shard {shard} repeats an object ID")
            seen.add(str(shard))
            full = _arrow(rows.sort_values("ID"), [*CATALOG_COLUMNS, *EXTRA_COLUMNS])
            schema = schema or describe(full.schema, spec, columns)
            write_parquet_atomic(full.cast(schema), hats_tmp / "dataset" / f"{shard}.parquet")
        if not sinks:
            sinks = {
                name: _Sink(csv, parquet, describe(_arrow(table, cols).schema, spec, columns))
                for name, csv, parquet, cols in (
                    ("all_qso", all_qso_csv, all_qso_parquet, all_qso_columns),
                    ("qzo", qzo_csv, qzo_parquet, qzo_columns),
                    ("qzo_calibrated", qzo_calibrated_csv, qzo_calibrated_parquet, qzo_columns),
                )
            }
        table = table.sort_values("ID", kind="stable")
        chosen = table[any_qso(table)]
        sinks["all_qso"].write(_arrow(chosen, all_qso_columns))
        all_qso_duplicates += int(chosen["is_duplicate"].sum())
        sinks["qzo"].write(_arrow(table[qzo_selection(table, cuts)], qzo_columns))
        calibrated = qzo_selection(table, cuts, CALIBRATED_QZO_PROBABILITY)
        sinks["qzo_calibrated"].write(_arrow(table[calibrated], qzo_columns))
        counts["objects"] += len(table)
        counts["duplicates"] += int(table["is_duplicate"].sum())
    if schema is None:
        raise AssertionError("no object has a prediction: nothing to catalog")
    if counts["objects"] != expected_objects:
        raise AssertionError(
            f"{counts['objects']} objects have predictions, {expected_objects} were preprocessed"
        )
    # A shard whose objects were all dropped still gets its (empty) HATS file.
    for shard in shards.names:
        if shard not in seen:
            write_parquet_atomic(schema.empty_table(), hats_tmp / "dataset" / f"{shard}.parquet")
    write_hats_metadata(hats_tmp, shards, "qzo_objects", "ra", "dec")
    shutil.rmtree(hats_dir, ignore_errors=True)
    hats_tmp.rename(hats_dir)
    counts["ZTF_all_QSO"], counts["QZO"] = sinks["all_qso"].rows, sinks["qzo"].rows
    counts["QZO_calibrated"] = sinks["qzo_calibrated"].rows
    for sink in sinks.values():
        sink.close()
    counts["ZTF_all_QSO_duplicate_fraction"] = (
        all_qso_duplicates / counts["ZTF_all_QSO"] if counts["ZTF_all_QSO"] else 0.0
    )
    return counts


def write_train_table(
    predictions: pd.DataFrame, columns: StrPath, csv_path: StrPath, parquet_path: StrPath
) -> int:
    """``train.csv`` and its Parquet twin (described by the column specification ``columns``)
    from ``xgb_train``'s training-set predictions."""
    train = train_table(predictions)
    table = _arrow(train, TRAIN_COLUMNS)
    write_parquet_atomic(
        table.cast(describe(table.schema, read_column_spec(columns), columns)), parquet_path
    )
    with atomic_path(csv_path) as tmp:
        pacsv.write_csv(
            csv_table(_arrow(train, TRAIN_COLUMNS)), str(tmp), write_options=CSV_OPTIONS
        )
    return len(train)
