"""The evaluation tables on constructed predictions: Table 1's scores per cut, Table 4's counts
over the sky, and the truth comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qzo.config import default_config
from qzo.config.settings import XGBSettings
from qzo.lightcurves.likelihood import process_log_likelihoods
from qzo.products.evaluate import (
    LIKELIHOOD_FEATURES,
    ORACLE_FEATURES,
    SkyCounts,
    SkyTruth,
    calibration_table,
    class_labels,
    contaminants_table,
    cross_fitted_reference_classes,
    light_curve_model_table,
    read_light_curve_likelihoods,
    reference_classes,
    table1,
    table4,
    truth_table,
)
from qzo.simulate.variability import drw_processes

CFG = {**default_config()["evaluate"], **default_config()["catalog"]}


def predictions(**columns) -> pd.DataFrame:
    """Rows of the training-set predictions; a one-hot ``predicted`` class sets p_* and
    p_WISE_*."""
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame(
        {"n_obs": [150] * n, "mag_median": [18.0] * n, "snr_mean": [10.0] * n} | columns
    )
    onehot = np.eye(3)[frame.pop("predicted").to_numpy()]
    for k, name in enumerate(("galaxy", "QSO", "star")):
        frame[f"p_{name}"] = onehot[:, k] * 0.98 + 0.01
        frame[f"p_WISE_{name}"] = onehot[:, k] * 0.98 + 0.01
    frame["is_duplicate"] = frame.get("is_duplicate", False)
    return frame


def test_table1_scores_each_cut():
    test = predictions(
        **{"class": ["QSO", "QSO", "QSO", "GALAXY", "STAR", "QSO"]},
        predicted=[1, 1, 0, 1, 2, 1],
        n_obs=[150, 150, 150, 150, 50, 50],
        snr_mean=[10, 10, 10, 10, 10, 2],
    )
    table = table1(test, CFG).set_index("cut")
    none = table.loc["none"]
    # 4 true QSOs, 4 predicted, 3 right: F1 = 2·3/(4+4); 4 of 6 classes right.
    assert none["qso_f1_subset"] == pytest.approx(0.75)
    assert none["qso_f1_full_sample"] == pytest.approx(0.75)
    assert none["accuracy_subset"] == pytest.approx(4 / 6)
    assert none["qso_fraction"] == 1.0 and none["n"] == 6
    many = table.loc["n_obs>100"]  # the first four rows: QSO F1 2·2/(3+3), accuracy 2/4
    assert many["n"] == 4 and many["qso_f1_subset"] == pytest.approx(2 / 3)
    assert many["accuracy_subset"] == pytest.approx(0.5)
    assert many["qso_fraction"] == pytest.approx(3 / 4)  # the n_obs = 50 QSO is cut
    # Full sample: 2 right of 3 predicted QSOs kept, 4 true QSOs: 2·2/(3+4).
    assert many["qso_f1_full_sample"] == pytest.approx(4 / 7)
    assert table.loc["SNR>5σ", "n"] == 5
    assert table.loc["SNR>5σ and n_obs>100", "n"] == 4
    assert table.loc["SNR>5σ or n_obs>100", "n"] == 5
    assert (table["qso_f1_subset_low"] <= table["qso_f1_subset_high"]).all()
    assert none[["minus_none_low", "minus_none_high"]].tolist() == [0, 0]
    assert list(table.index) == [
        "none",
        "g<n_obs/80+20.375",
        "SNR>5σ or n_obs>100",
        "n_obs>100",
        "SNR>5σ",
        "SNR>5σ and n_obs>100",
    ]


def test_table1_measures_a_cut_that_removes_the_errors():
    """Every error lies on a short light curve: n_obs > 100 keeps 40 right QSOs and 60 right
    galaxies, so its subset F1 is 1 on every resample and its rise over the uncut F1 (20 of the
    40 short QSOs missed) is above 0 throughout its interval."""
    n_long, n_short = 100, 60
    test = predictions(
        **{"class": ["QSO"] * 40 + ["GALAXY"] * 60 + ["QSO"] * 40 + ["GALAXY"] * 20},
        predicted=[1] * 40 + [0] * 60 + [1] * 20 + [0] * 40,
        n_obs=[150] * n_long + [50] * n_short,
        snr_mean=[10] * (n_long + n_short),
    )
    many = table1(test, CFG).set_index("cut").loc["n_obs>100"]
    assert many["qso_f1_subset_low"] == many["qso_f1_subset_high"] == 1.0
    assert 0 < many["minus_none_low"] < many["minus_none_high"]


def sky_rows(ids, p_wise_qso, **columns) -> pd.DataFrame:
    n = len(ids)
    frame = pd.DataFrame(
        {
            "ID": ids,
            "n_obs": [150] * n,
            "mag_median": [18.0] * n,
            "snr_mean": [10.0] * n,
            "is_duplicate": [False] * n,
            "p_galaxy": [0.5] * n,
            "p_QSO": [0.4] * n,
            "p_star": [0.1] * n,
            "p_WISE_QSO": p_wise_qso,
            "label_distance": [0.5] * n,
            "_healpix_29": [0] * n,
        }
        | columns
    )
    frame["p_WISE_galaxy"] = (1 - frame["p_WISE_QSO"]) * 0.9
    frame["p_WISE_star"] = (1 - frame["p_WISE_QSO"]) * 0.1
    if "p_WISE_cal_QSO" not in frame:
        frame["p_WISE_cal_QSO"] = frame["p_WISE_QSO"]
    return frame


def test_table4_counts_non_duplicates_above_each_threshold_over_shards():
    # Objects 1-5 of sources 10, 11, 12, 10, 13: object 4 is a second light curve of source
    # 10; source 14 is a QSO whose light curve did not survive preprocessing.
    ids = [1, 2, 3, 4, 5]
    truth = SkyTruth(
        classes=pd.Series(["qso", "qso", "star", "qso", "galaxy"], index=ids),
        sources=pd.Series([10, 11, 12, 10, 13], index=ids),
        input_qso_sources={10, 11, 14},
        kinds=pd.Series(["qso", "qso", "star", "qso", "galaxy"], index=ids),
    )
    counts = SkyCounts(CFG, truth)
    counts.add(sky_rows([1, 2, 3], [0.95, 0.6, 0.99], is_duplicate=[False, False, True]))
    counts.add(sky_rows([4, 5], [0.85, 0.2], n_obs=[50, 50]))
    scored = predictions(
        **{"class": ["QSO", "QSO", "STAR", "GALAXY"]},
        predicted=[1, 0, 2, 2],
        n_obs=[150, 50, 150, 150],
    )
    table = table4(counts, scored).set_index("cut")
    # Non-duplicates: p = 0.95, 0.6 (n_obs 150) and 0.85, 0.2 (n_obs 50).
    counted = [f"p_WISE_QSO>{t:g}" for t in CFG["thresholds"]]
    assert table.loc["none", counted].tolist() == [3, 3, 2, 1, 0, 0]
    assert table.loc["n_obs>100", counted].tolist() == [2, 2, 1, 1, 0, 0]
    assert list(table.columns) == ["qso_f1", "accuracy", *counted]
    # The test split's scores of p_WISE_*: 1 of 2 QSOs found, 2 of 4 right; with n_obs > 100
    # the one QSO kept is found, 2 of 3 right.
    assert table.loc["none", "qso_f1"] == pytest.approx(2 / 3)
    assert table.loc["none", "accuracy"] == pytest.approx(0.5)
    assert table.loc["n_obs>100", "qso_f1"] == 1.0
    assert table.loc["n_obs>100", "accuracy"] == pytest.approx(2 / 3)

    # QZO: p_WISE_QSO > 0.9, not a duplicate, g < n_obs/80 + 20.375: only ID 1 (a QSO).
    # ZTF_all_QSO: argmax QSO in either model: IDs 1, 2, 3 (WISE) and 4 (0.85).
    test = pd.DataFrame(
        {
            "class": ["QSO", "STAR"],
            "p_galaxy": [0.1, 0.1],
            "p_QSO": [0.8, 0.1],
            "p_star": [0.1, 0.8],
            "p_WISE_galaxy": [0.02, 0.1],
            "p_WISE_QSO": [0.95, 0.1],
            "p_WISE_star": [0.03, 0.8],
            "p_WISE_cal_QSO": [0.95, 0.1],
            "is_duplicate": [False, False],
            "mag_median": [18.0, 18.0],
            "n_obs": [100, 100],
            "label_distance": [0.5, 0.5],
        }
    )
    rows = truth_table(counts, test, CFG).set_index("catalog")
    qzo, everything = rows.loc["QZO"], rows.loc["ZTF_all_QSO"]
    assert qzo["rows"] == 1 and qzo["purity_objects"] == 1.0
    # True QSOs among the non-duplicates: 1, 2, 4.
    assert qzo["completeness_objects"] == pytest.approx(1 / 3)
    assert everything["rows"] == 4 and everything["purity_objects"] == pytest.approx(3 / 4)
    assert everything["completeness_objects"] == 1.0
    # Per source: QZO selects source 10 (a QSO): of the QSO sources, 10 and 11 have preprocessed
    # light curves, 10, 11 and 14 have light curves in the input.
    assert qzo["sources"] == 1 and qzo["purity_sources"] == 1.0
    assert qzo["completeness_sources_preprocessed"] == pytest.approx(1 / 2)
    assert qzo["completeness_sources_input"] == pytest.approx(1 / 3)
    # ZTF_all_QSO selects objects 1-4: sources 10 (twice), 11, 12 (a star).
    assert everything["sources"] == 3 and everything["purity_sources"] == pytest.approx(2 / 3)
    assert everything["completeness_sources_preprocessed"] == 1.0
    assert everything["completeness_sources_input"] == pytest.approx(2 / 3)
    assert qzo["test_purity"] == 1.0 and qzo["test_completeness"] == 1.0
    # Equal raw and calibrated probabilities: the calibrated QZO is QZO.
    assert rows.loc["QZO_calibrated"].equals(qzo)


def test_contaminants_are_counted_by_kind_per_catalog_over_shards():
    ids = [1, 2, 3, 4, 5, 6, 7]
    kinds = ["qso: drw", "star: lpv", "star: lpv", "star: constant", "galaxy: constant"]
    kinds += ["star: lpv", "star: lpv"]
    truth = SkyTruth(
        classes=pd.Series([k.split(":")[0] for k in kinds], index=ids),
        sources=pd.Series(ids, index=ids),
        input_qso_sources={1},
        kinds=pd.Series(kinds, index=ids),
    )
    counts = SkyCounts(CFG, truth)
    counts.add(sky_rows([1, 2, 3], [0.95, 0.97, 0.3]))
    # Object 6 is a duplicate: in ZTF_all_QSO and the whole sky, never in QZO's population.
    counts.add(sky_rows([4, 5, 6, 7], [0.92, 0.6, 0.99, 0.91], is_duplicate=[0, 0, 1, 0]))
    table = contaminants_table(counts)
    # QZO: p_WISE_QSO > 0.9 among non-duplicates: objects 1, 2, 4, 7; most rows first, then
    # by name.
    qzo = table[table["catalog"] == "QZO"]
    assert qzo["kind"].tolist() == ["star: lpv", "qso: drw", "star: constant"]
    assert qzo["rows"].tolist() == [2, 1, 1]
    assert qzo["share_of_catalog"].tolist() == [0.5, 0.25, 0.25]
    # The non-duplicates hold three LPVs (2, 3, 7), QZO two of them.
    assert qzo["in_population"].tolist() == [3, 1, 1]
    assert qzo["share_selected"].tolist() == pytest.approx([2 / 3, 1.0, 1.0])
    # Equal raw and calibrated probabilities: the calibrated QZO is QZO.
    calibrated = table[table["catalog"] == "QZO_calibrated"].drop(columns="catalog")
    assert calibrated.reset_index(drop=True).equals(
        qzo.drop(columns="catalog").reset_index(drop=True)
    )
    # ZTF_all_QSO: argmax QSO of p_WISE_* (p_WISE_QSO > 0.47): all but object 3, duplicates
    # included; the sky holds four LPVs.
    everything = table[table["catalog"] == "ZTF_all_QSO"].set_index("kind")
    assert everything["rows"].to_dict() == {
        "star: lpv": 3,
        "galaxy: constant": 1,
        "qso: drw": 1,
        "star: constant": 1,
    }
    assert everything.loc["star: lpv", "in_population"] == 4
    assert everything.loc["star: lpv", "share_selected"] == 0.75
    assert everything["share_of_catalog"].sum() == pytest.approx(1.0)


def test_calibration_table_predicts_and_counts_purity_and_completeness_per_bin():
    ids = [1, 2, 3, 4, 5, 6]
    truth = SkyTruth(
        classes=pd.Series(["qso", "star", "qso", "galaxy", "qso", "star"], index=ids),
        sources=pd.Series(ids, index=ids),
        input_qso_sources={1, 3, 5},
        kinds=pd.Series(["qso", "star", "qso", "galaxy", "qso", "star"], index=ids),
    )
    cfg = {**CFG, "calibration_mag_edges": [19.0, 20.0]}
    counts = SkyCounts(cfg, truth)
    # Bin 19–20: objects 1-4; bin ≥ 20: objects 5, 6 (6 is a duplicate, never counted).
    counts.add(
        sky_rows(
            ids,
            [0.95, 0.95, 0.5, 0.2, 0.99, 0.99],
            p_WISE_cal_QSO=[0.92, 0.4, 0.3, 0.1, 0.97, 0.97],
            mag_median=[19.5, 19.5, 19.5, 19.5, 20.2, 20.2],
            n_obs=[400] * 6,
            is_duplicate=[False] * 5 + [True],
        )
    )
    table = calibration_table(counts).set_index(["selection", "mag_median"])
    # QZO (raw > 0.9): 1, 2 and 5; QZO_calibrated (calibrated > 0.9): 1 and 5.
    qzo = table.loc[("QZO", "19–20")]
    assert qzo["n"] == 2 and qzo["predicted_purity_raw"] == pytest.approx(0.95)
    assert qzo["predicted_purity_calibrated"] == pytest.approx(0.66)
    assert qzo["true_purity"] == 0.5
    # Bin 19–20 holds QSO mass 0.95 + 0.95 + 0.5 + 0.2 (raw), 0.92 + 0.4 + 0.3 + 0.1
    # (calibrated) and 2 true QSOs (1, 3).
    assert qzo["predicted_completeness_raw"] == pytest.approx(1.9 / 2.6)
    assert qzo["predicted_completeness_calibrated"] == pytest.approx(1.32 / 1.72)
    assert qzo["true_completeness"] == 0.5
    calibrated = table.loc[("QZO_calibrated", "all")]
    assert calibrated["n"] == 2 and calibrated["true_purity"] == 1.0
    assert calibrated["true_completeness"] == pytest.approx(2 / 3)
    everything = table.loc[("all non-duplicates", "all")]
    assert everything["n"] == 5 and everything["true_purity"] == pytest.approx(3 / 5)
    assert everything["predicted_purity_calibrated"] == pytest.approx(2.69 / 5)
    assert ("QZO", "< 19") not in table.index  # empty bins are left out


def test_light_curve_model_table_scores_each_model_per_bin():
    cfg = {"compare_n_obs_edges": [0, 50, 1000], "compare_mag_edges": [10, 19, 25]}
    qso, star = 1, 2
    models = pd.DataFrame(
        {
            "objectid": np.arange(6),
            "n_obs": [10, 20, 30, 60, 70, 80],
            "mag_median": [18.0, 18.5, 19.5, 18.0, 19.6, 20.0],
            "label": [qso, qso, star, qso, star, qso],
            # right on every object / calls everything a QSO
            "good": [qso, qso, star, qso, star, qso],
            "eager": [qso] * 6,
        }
    )
    table = light_curve_model_table(models, cfg).set_index("bin")
    assert list(table.index) == ["all", "n_obs 0–50", "n_obs 50–1000", "g 10–19", "g 19–25"]
    assert table.loc["all", "good"] == 1.0
    assert table.loc["all", "eager"] == pytest.approx(2 * 4 / (6 + 4))
    assert table.loc["n_obs 0–50", "eager"] == pytest.approx(2 * 2 / (3 + 2))
    assert table.loc["g 10–19", "eager"] == 1.0  # three QSOs, nothing else
    assert table.loc["g 19–25", ["n", "qsos"]].tolist() == [3, 1]
    assert "both_minus_shallow_low" not in table  # no catalog and shallow models here


def test_light_curve_model_table_gives_the_paired_difference_per_bin():
    """The catalog's model (both sources) right on every object, the shallow model wrong on
    every short light curve: their difference is 0 on the long ones and above 0 on the short."""
    cfg = {"compare_n_obs_edges": [0, 50, 1000], "compare_mag_edges": [10, 25]}
    labels = np.tile([1, 0], 40)
    shallow = labels.copy()
    shallow[:40] = 1 - labels[:40]  # the 40 short light curves
    models = pd.DataFrame(
        {
            "objectid": np.arange(80),
            "n_obs": [20] * 40 + [100] * 40,
            "mag_median": 19.0,
            "label": labels,
            "deep + shallow": labels,
            "shallow": shallow,
        }
    )
    table = light_curve_model_table(models, cfg).set_index("bin")
    long = table.loc["n_obs 50–1000", ["both_minus_shallow_low", "both_minus_shallow_high"]]
    assert long.tolist() == [0, 0]
    assert table.loc["n_obs 0–50", "both_minus_shallow_low"] == 1.0  # 1 vs 0 on every resample
    assert 0 < table.loc["all", "both_minus_shallow_low"] < 1
    # Any pair, in either order; a pair with a model that is not a column is left out.
    reverse = {"reverse": ("shallow", "deep + shallow"), "absent": ("shallow", "oracle")}
    table = light_curve_model_table(models, cfg, reverse).set_index("bin")
    assert table.loc["n_obs 0–50", ["reverse_low", "reverse_high"]].tolist() == [-1.0, -1.0]
    assert "absent_low" not in table and "both_minus_shallow_low" not in table


def test_oracle_learns_the_class_from_the_true_variability():
    rng = np.random.default_rng(3)
    n = 600
    cls = rng.choice(["QSO", "STAR", "GALAXY"], n)
    preds = pd.DataFrame(
        {
            "objectid": np.arange(n),
            "class": cls,
            "split": rng.choice(["train", "val", "test"], n, p=[0.6, 0.2, 0.2]),
            "mag_median": rng.uniform(17, 20, n),
        }
    )
    variability = pd.DataFrame(
        {
            "tau": np.where(cls == "QSO", rng.uniform(100, 600, n), np.nan),
            "sf_inf": np.where(cls == "QSO", 0.2, np.nan),
            "period": np.where(cls == "STAR", rng.uniform(0.3, 1, n), np.nan),
            "amplitude": np.where(cls == "STAR", 0.5, np.nan),
        },
        index=pd.Index(np.arange(n), name="objectid"),
    )
    settings = XGBSettings.from_config(default_config()["xgb"], threads=1)
    oracle = reference_classes(preds, variability, ORACLE_FEATURES, settings)
    test = preds[preds["split"] == "test"]
    assert list(oracle.index) == list(test["objectid"])
    assert (oracle.to_numpy() == class_labels(test)).mean() > 0.95


def test_a_reference_cross_fitted_on_the_folds_classifies_each_train_object_unseen():
    """Inputs that name the class with the opposite sign in each fold (a model that saw the
    object's fold would get it right): every train object is classified, in the order of the
    cross-fitted table (not the predictions'), by a model fitted on the other fold."""
    rng = np.random.default_rng(5)
    n = 500
    split = np.where(np.arange(n) < 400, "train", "val")
    fold = np.where(split == "train", np.arange(n) % 2, -1)
    qso = rng.random(n) < 0.4
    cls = np.where(qso, "QSO", "STAR")
    preds = pd.DataFrame(
        {"objectid": np.arange(n), "class": cls, "split": split, "mag_median": 19.0}
    )
    sign = np.where(fold == 1, -1.0, 1.0)
    inputs = pd.DataFrame(
        {"x": np.where(qso, 1.0, -1.0) * sign + rng.normal(0, 0.1, n)},
        index=pd.Index(np.arange(n), name="objectid"),
    )
    train = preds[preds["split"] == "train"]
    models = pd.DataFrame({"objectid": train["objectid"], "fold": fold[split == "train"]}).sample(
        frac=1, random_state=1
    )
    settings = XGBSettings.from_config(default_config()["xgb"], threads=1)
    classes = cross_fitted_reference_classes(models, preds, inputs, ["x"], settings)
    truth = class_labels(preds.set_index("objectid").loc[models["objectid"]])
    assert len(classes) == len(models)
    assert (classes != truth).mean() > 0.9


def test_the_likelihood_model_reads_the_light_curves_of_the_splits_asked_for(tmp_path):
    """One row per light curve of the splits asked for, by objectid, each the processes'
    likelihoods of that light curve alone."""
    rng = np.random.default_rng(8)
    lengths = [30, 2, 55, 40]
    times = [np.sort(rng.uniform(58000, 59000, n)) for n in lengths]
    mags = [19 + 0.1 * rng.standard_normal(n) for n in lengths]
    errors = [np.full(n, 0.05, np.float32) for n in lengths]
    path = tmp_path / "training_set.parquet"
    pd.DataFrame(
        {
            "objectid": [7, 5, 9, 3],
            "split": ["train", "test", "val", "train"],
            "mjd": times,
            "mag": [m.astype(np.float32) for m in mags],
            "magerr": errors,
        }
    ).to_parquet(path)
    got = read_light_curve_likelihoods(path, splits=("train", "val"))
    assert sorted(got.index) == [3, 7, 9]
    assert list(got.columns) == LIKELIHOOD_FEATURES[:-1]
    k = 2  # objectid 9
    alone = process_log_likelihoods(
        np.array([0, lengths[k]]),
        times[k],
        mags[k].astype(np.float32),
        errors[k],
        drw_processes(),
    )
    for name, value in alone.items():
        assert got.loc[9, f"ll_{name}"] == pytest.approx(value[0], rel=1e-12)
