"""Stage of ``rules/catalog.smk``: the published catalogs."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from qzo.io import StrPath
from qzo.io.atomic import write_json_atomic
from qzo.products.catalog import gather_catalogs, write_train_table
from qzo.sky.partition import load_plan, shards_of_plan

log = logging.getLogger(__name__)


def catalog(
    *,
    groups: Sequence[StrPath],
    preprocess_summary: StrPath,
    training_predictions: StrPath,
    calibration: StrPath,
    plan: StrPath,
    columns: StrPath,
    cuts: dict,
    all_qso_csv: StrPath,
    all_qso_parquet: StrPath,
    qzo_csv: StrPath,
    qzo_parquet: StrPath,
    qzo_calibrated_csv: StrPath,
    qzo_calibrated_parquet: StrPath,
    train_csv: StrPath,
    train_parquet: StrPath,
    hats: StrPath,
    summary: StrPath,
) -> dict:
    """``ZTF_all_QSO``, ``QZO``, ``QZO_calibrated`` (with ``calibration``, rule ``calibrate``'s)
    and ``train`` (CSV and Parquet) and the HATS per-object table
    (the directory ``hats``) from ``xgb_infer``'s ``groups``; fails unless every preprocessed
    object has exactly one prediction. ``columns`` (``resources/catalog_columns.yaml``) gives
    every published column's unit and description; ``cuts`` is the config section ``catalog``."""
    counts = gather_catalogs(
        groups,
        shards_of_plan(load_plan(plan)),
        cuts,
        json.loads(Path(preprocess_summary).read_text())["objects_out"],
        columns,
        json.loads(Path(calibration).read_text()),
        all_qso_csv=all_qso_csv,
        all_qso_parquet=all_qso_parquet,
        qzo_csv=qzo_csv,
        qzo_parquet=qzo_parquet,
        qzo_calibrated_csv=qzo_calibrated_csv,
        qzo_calibrated_parquet=qzo_calibrated_parquet,
        hats=hats,
    )
    counts["train"] = write_train_table(
        pd.read_parquet(training_predictions), columns, train_csv, train_parquet
    )
    write_json_atomic(counts, summary)
    log.info("catalog: %s", counts)
    return counts
