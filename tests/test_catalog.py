"""XGBoost models, stacking inputs, catalog columns and cuts, and the merge's checks, on
constructed rows."""

import json

import hats
import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
import pytest

from qzo.catalog import (
    CATALOG_COLUMNS,
    EXTRA_COLUMNS,
    QZO_COLUMNS,
    TRAIN_COLUMNS,
    any_qso,
    qzo_selection,
    run_catalog,
)
from qzo.healpix import ShardSet, healpix_29
from qzo.metrics import binary_scores, class_scores, magnitude_cut, redshift_scores
from qzo.stacking import stacked_probabilities
from qzo.xgb import (
    XGBSettings,
    fit_classifier,
    fit_regressor,
    gain_importance,
    load_model,
    predict_proba,
    predict_value,
    save_model,
)

CUTS = {"qso_probability": 0.9, "mag_cut_slope": 80, "mag_cut_intercept": 20.375}
FAST = XGBSettings(n_estimators=200, max_depth=3, threads=1)


def rows(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {
        "p_galaxy": [0.1] * n,
        "p_QSO": [0.8] * n,
        "p_star": [0.1] * n,
        "p_WISE_galaxy": [0.05] * n,
        "p_WISE_QSO": [0.95] * n,
        "p_WISE_star": [0.0] * n,
        "is_duplicate": [False] * n,
        "mag_median": [19.0] * n,
        "n_obs": [100] * n,
    }
    return pd.DataFrame(base | columns)


def test_qzo_cuts_on_constructed_rows():
    # n_obs 80 → the magnitude limit is 21.375; p_WISE_QSO must exceed 0.9 strictly.
    frame = rows(
        p_WISE_QSO=[0.95, 0.9, 0.95, 0.95, 0.95],
        is_duplicate=[False, False, True, False, False],
        mag_median=[21.3, 19.0, 19.0, 21.375, 21.4],
        n_obs=[80, 80, 80, 80, 80],
    )
    assert list(qzo_selection(frame, CUTS)) == [True, False, False, False, False]
    assert list(magnitude_cut([20.0, 20.375], [0, 0])) == [True, False]


def test_any_qso_takes_either_model():
    frame = rows(
        p_QSO=[0.6, 0.2, 0.2],
        p_galaxy=[0.2, 0.7, 0.7],
        p_WISE_QSO=[0.1, 0.6, 0.1],
        p_WISE_galaxy=[0.8, 0.3, 0.8],
    )
    assert list(any_qso(frame)) == [True, True, False]


def test_scores_on_constructed_cases():
    s = binary_scores([1, 1, 0, 0, 1], [1, 0, 1, 0, 1])
    assert (s["purity"], s["completeness"], s["f1"]) == (2 / 3, 2 / 3, 2 / 3)
    c = class_scores([0, 1, 2, 1], np.eye(3)[[0, 1, 1, 2]])
    assert c["accuracy"] == 0.5 and c["qso_f1"] == 0.5
    z = redshift_scores([1.0, 2.0], [1.0, 3.5])
    assert z["frac_dz_1pz_gt_0.2"] == 0.5 and z["frac_dz_1pz_gt_0.5"] == 0.0


def _toy(n=600, seed=0):
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 3, n)
    frame = pd.DataFrame(
        {
            "a": label + rng.normal(0, 0.3, n),
            "b": np.where(rng.random(n) < 0.3, np.nan, rng.normal(0, 1, n)),
            "label": label,
        }
    )
    frame["z"] = 0.5 * frame["a"] + 1
    return frame


def test_xgb_learns_saves_and_loads_identically(tmp_path):
    train, val, test = _toy(seed=0), _toy(200, 1), _toy(200, 2)
    model = fit_classifier(train, val, ["a", "b"], "label", FAST)
    p = predict_proba(model, test)
    assert p.shape == (200, 3) and (p.argmax(1) == test["label"]).mean() > 0.9
    save_model(model, tmp_path / "m.json")
    loaded = load_model(tmp_path / "m.json")
    assert loaded.feature_names == ["a", "b"]
    np.testing.assert_array_equal(predict_proba(loaded, test), p)
    assert gain_importance(loaded)["a"] > 0.5
    reg = fit_regressor(train, val, ["a"], "z", FAST)
    assert np.abs(predict_value(reg, test) - test["z"]).mean() < 0.2


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


def _group(path, shard, ids, ra, dec, **over):
    frame = rows(**over) if over else rows(mag_median=[19.0] * len(ids))
    frame = frame.iloc[: len(ids)].reset_index(drop=True)
    frame["ID"], frame["ra"], frame["dec"] = ids, ra, dec
    frame["redshift"] = np.float32(1.5)
    for col in ("snr_mean", "timespan", "wise_sep_arcsec", "p_lc_galaxy", "p_lc_QSO", "p_lc_star"):
        frame[col] = np.float32(0.5)
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
    training = rows(mag_median=[18.0]).assign(
        ra=1.0, dec=2.0, redshift=np.nan, z=1.2, **{"class": "QSO"}, split="test"
    )
    training.to_parquet(tmp_path / "train_in.parquet")
    names = ["all_qso", "qzo", "train"]
    out = {f"{n}_{x}": tmp_path / f"{n}.{x}" for n in names for x in ("csv", "parquet")}
    out |= {"hats": tmp_path / "hats", "summary": tmp_path / "cat.json"}
    args = [tmp_path / "summary.json", tmp_path / "train_in.parquet", tmp_path / "plan.json"]
    counts = run_catalog([tmp_path / "g0.parquet", tmp_path / "g1.parquet"], *args, CUTS, out)
    assert counts["objects"] == 3 and counts["QZO"] == 1 and counts["ZTF_all_QSO"] == 2
    all_qso = pacsv.read_csv(out["all_qso_csv"]).to_pandas()
    assert list(all_qso.columns) == CATALOG_COLUMNS and list(all_qso["ID"]) == [3, 2]
    qzo = pacsv.read_csv(out["qzo_csv"]).to_pandas()
    assert list(qzo.columns) == QZO_COLUMNS and list(qzo["ID"]) == [3]
    train = pacsv.read_csv(out["train_csv"]).to_pandas()
    assert list(train.columns) == TRAIN_COLUMNS and train["z_spec"].iloc[0] == 1.2
    assert pd.read_parquet(out["qzo_parquet"]).equals(pd.read_parquet(out["qzo_parquet"]))
    catalog = hats.read_hats(out["hats"])
    assert catalog.catalog_info.total_rows == 3
    assert len(catalog.get_healpix_pixels()) == 2
    full = pd.read_parquet(out["hats"] / "dataset" / f"{a}.parquet")
    assert list(full.columns) == [*CATALOG_COLUMNS, *EXTRA_COLUMNS] and list(full["ID"]) == [1, 3]

    # An object without a prediction stops the merge.
    (tmp_path / "summary.json").write_text(json.dumps({"objects_out": 4}))
    with pytest.raises(AssertionError, match="3 objects have predictions, 4 were preprocessed"):
        run_catalog([tmp_path / "g0.parquet", tmp_path / "g1.parquet"], *args, CUTS, out)
    # So does a shard delivered twice.
    with pytest.raises(AssertionError, match="appears in two groups"):
        run_catalog([tmp_path / "g0.parquet", tmp_path / "g0.parquet"], *args, CUTS, out)
