"""The catalog stage on constructed prediction groups: published columns, counts and checks."""

import json
import shutil

import hats
import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
import pytest
from conftest import CALIBRATION, CUTS, REPO, catalog_rows

from qzo.products.catalog import (
    CALIBRATED_COLUMNS,
    CATALOG_COLUMNS,
    EXTRA_COLUMNS,
    QZO_COLUMNS,
    TRAIN_COLUMNS,
)
from qzo.sky.healpix import ShardSet, healpix_29
from qzo.stages.catalog import catalog


def _group(path, shard, ids, ra, dec, **over):
    frame = catalog_rows(**over) if over else catalog_rows(mag_median=[19.0] * len(ids))
    frame = frame.iloc[: len(ids)].reset_index(drop=True)
    frame["ID"], frame["ra"], frame["dec"] = ids, ra, dec
    frame["redshift"] = np.float32(1.5)
    for col in ("snr_mean", "timespan", "wise_sep_arcsec", "p_lc_galaxy", "p_lc_QSO", "p_lc_star"):
        frame[col] = np.float32(0.5)
    frame["in_training_set"] = [i == 1 for i in ids]  # object 1 is a training object
    frame["label_distance"] = np.float32(0.5)
    frame["_healpix_29"] = healpix_29(np.asarray(ra), np.asarray(dec))
    frame["shard"] = shard
    frame.to_parquet(path)
    return frame


def test_catalog_merge_writes_the_published_columns_and_checks_counts(tmp_path):
    shards = ShardSet(order=np.array([0, 0]), npix=np.array([4, 5]))
    a, b = shards.names
    g0 = _group(
        tmp_path / "g0.parquet",
        a,
        [3, 1],
        [1.0, 2.0],
        [1.0, 2.0],
        p_WISE_QSO=[0.95, 0.2],
        p_WISE_galaxy=[0.05, 0.8],
        p_QSO=[0.8, 0.1],
        p_galaxy=[0.1, 0.8],
        is_duplicate=[False, True],
    )
    g1 = _group(
        tmp_path / "g1.parquet",
        b,
        [2],
        [90.0],
        [1.0],
        p_WISE_QSO=[0.95],
        is_duplicate=[True],
    )
    assert shards.lookup(g0["_healpix_29"].to_numpy()).tolist() == [0, 0]
    assert shards.lookup(g1["_healpix_29"].to_numpy()).tolist() == [1]
    (tmp_path / "summary.json").write_text(json.dumps({"objects_out": 3}))
    (tmp_path / "plan.json").write_text(json.dumps({"shards": shards.names}))
    training = catalog_rows(mag_median=[18.0]).assign(
        ra=1.0, dec=2.0, redshift=np.nan, z=1.2, **{"class": "QSO"}, split="test"
    )
    training.to_parquet(tmp_path / "train_in.parquet")
    (tmp_path / "calibration.json").write_text(json.dumps(CALIBRATION))
    names = ["all_qso", "qzo", "qzo_calibrated", "train"]
    out = {f"{n}_{x}": tmp_path / f"{n}.{x}" for n in names for x in ("csv", "parquet")}
    out |= {"hats": tmp_path / "hats", "summary": tmp_path / "cat.json"}
    inputs = {
        "preprocess_summary": tmp_path / "summary.json",
        "training_predictions": tmp_path / "train_in.parquet",
        "calibration": tmp_path / "calibration.json",
        "plan": tmp_path / "plan.json",
        "columns": REPO / "resources" / "catalog_columns.yaml",
        "cuts": CUTS,
    }
    groups = [tmp_path / "g0.parquet", tmp_path / "g1.parquet"]
    counts = catalog(groups=groups, **inputs, **out)
    assert counts["objects"] == 3 and counts["QZO"] == 1 and counts["ZTF_all_QSO"] == 2
    assert json.loads(out["summary"].read_text()) == counts
    all_qso = pacsv.read_csv(out["all_qso_csv"]).to_pandas()
    assert list(all_qso.columns) == [
        *CATALOG_COLUMNS,
        "in_training_set",
        "label_distance",
        *CALIBRATED_COLUMNS,
    ]
    assert list(all_qso["ID"]) == [3, 2] and not all_qso["in_training_set"].any()
    qzo = pacsv.read_csv(out["qzo_csv"]).to_pandas()
    assert list(qzo.columns) == [
        *QZO_COLUMNS,
        "in_training_set",
        "label_distance",
        *CALIBRATED_COLUMNS,
    ]
    assert list(qzo["ID"]) == [3]
    # Object 3's ZTF + WISE QSO odds divided by 10: 0.095 / (0.05 + 0.095 + 0.0).
    assert qzo["p_WISE_cal_QSO"].iloc[0] == pytest.approx(0.095 / 0.145, rel=1e-6)
    assert qzo["p_cal_QSO"].iloc[0] == pytest.approx(qzo["p_QSO"].iloc[0], rel=1e-6)
    assert counts["QZO_calibrated"] == 0
    assert pacsv.read_csv(out["qzo_calibrated_csv"]).num_rows == 0
    train = pacsv.read_csv(out["train_csv"]).to_pandas()
    assert list(train.columns) == TRAIN_COLUMNS and train["z_spec"].iloc[0] == 1.2
    # The Parquet twins hold the CSV's rows.
    assert pd.read_parquet(out["qzo_parquet"])["ID"].tolist() == qzo["ID"].tolist()
    assert pd.read_parquet(out["all_qso_parquet"])["ID"].tolist() == all_qso["ID"].tolist()
    hats_catalog = hats.read_hats(out["hats"])
    assert hats_catalog.catalog_info.total_rows == 3
    assert len(hats_catalog.get_healpix_pixels()) == 2
    full = pd.read_parquet(out["hats"] / "dataset" / f"{a}.parquet")
    assert list(full.columns) == [*CATALOG_COLUMNS, *EXTRA_COLUMNS] and list(full["ID"]) == [1, 3]
    assert full["in_training_set"].tolist() == [True, False]

    # Table 6's columns only, when asked.
    plain = {
        **inputs,
        "cuts": {
            **CUTS,
            "in_training_set_column": False,
            "label_distance_column": False,
            "calibrated_columns": False,
        },
    }
    catalog(groups=groups, **plain, **out)
    assert list(pacsv.read_csv(out["qzo_csv"]).to_pandas().columns) == QZO_COLUMNS
    assert list(pacsv.read_csv(out["all_qso_csv"]).to_pandas().columns) == CATALOG_COLUMNS

    # An object without a prediction stops the merge, and nothing is published.
    for path in out.values():
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    (tmp_path / "summary.json").write_text(json.dumps({"objects_out": 4}))
    with pytest.raises(AssertionError, match="3 objects have predictions, 4 were preprocessed"):
        catalog(groups=groups, **inputs, **out)
    assert not any(path.exists() for path in out.values())
    # So does a shard delivered twice.
    with pytest.raises(AssertionError, match="appears in two groups"):
        catalog(groups=[groups[0], groups[0]], **inputs, **out)
