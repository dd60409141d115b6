"""The Snakemake workflow end to end on the tiny config, on the real fixture, and on bad input."""

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import hats
import lsdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from astropy import units as u
from astropy.coordinates import SkyCoord
from conftest import CUTS, REPO, TINY, catalog_files, real_data_config, write_config
from conftest import run_workflow as snakemake
from hats.io.validation import is_valid_catalog

from qzo.lightcurves.features import feature_names
from qzo.models.xgb import LC_PROBABILITIES, features_of, load_model
from qzo.products.catalog import (
    CALIBRATED_COLUMNS,
    CATALOG_COLUMNS,
    QZO_COLUMNS,
    TRAIN_COLUMNS,
    any_qso,
    qzo_selection,
)
from qzo.studies.label_support import main as label_support_main
from qzo.studies.shallow_catalog import main as shallow_catalog_main
from qzo.studies.transformer import main as study_main
from qzo.testing.reference import duplicates_reference
from qzo.testing.snakemake import snakemake_command

pytestmark = pytest.mark.workflow

# The tiny run's config files as the workflow merged them, for the studies' --config.
TINY_RUN_CONFIG = [str(REPO / "config" / "config.yaml"), str(TINY)]


def test_tiny_run_validates_every_simulated_object(tiny_run):
    manifest = json.loads((tiny_run / "results/simulated/manifest.json").read_text())
    summary = json.loads((tiny_run / "results/inputs/ztf_inventory.json").read_text())
    assert summary["n_files"] == len(manifest["ztf_files"])
    assert summary["n_objects"] == manifest["n_objectids"] > 1000
    assert summary["n_epochs"] == manifest["n_epochs"]
    for rule in ("simulate", "ztf_inventory"):
        assert (tiny_run / "logs" / f"{rule}.log").stat().st_size > 0
        assert (tiny_run / "benchmarks" / f"{rule}.tsv").exists()


def test_the_classifier_starts_beside_the_first_fold(tiny_run):
    """Inference and the catalogs wait on the classifier, so it starts with the first fold job
    after stage 1 (rule priority), not alone after the folds on one of the two cores."""
    first_run = sorted((tiny_run / ".snakemake" / "log").glob("*.snakemake.log"))[0]
    lines = first_run.read_text().splitlines()
    started = [line.split()[1].rstrip(":") for line in lines if line.startswith("localrule ")]
    after_stage_1 = started[started.index("astromer_pretrain") + 1 :]
    assert sorted(after_stage_1[:2]) == ["astromer_finetune", "astromer_finetune_fold"]


def test_shards_account_for_every_object(tiny_run):
    inventory = json.loads((tiny_run / "results/inputs/ztf_inventory.json").read_text())
    acc = json.loads((tiny_run / "results/preprocess/summary.json").read_text())
    assert acc["objects_in"] == inventory["n_objects"]
    assert acc["epochs_in"] == inventory["n_epochs"]
    assert acc["objects_out"] + sum(acc["objects_dropped"].values()) == acc["objects_in"]
    assert acc["epochs_dropped"]["catflags"] > 0 and acc["epochs_dropped"]["nan"] > 0
    assert acc["n_shards"] > 10


def _all_shards(root: Path) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(p) for p in sorted(root.rglob("Npix=*.parquet"))])


def test_dedup_equals_all_sky_brute_force(tiny_run):
    objects = _all_shards(tiny_run / "results/preprocess/dataset")
    flags = _all_shards(tiny_run / "results/dedup/dataset").set_index("objectid")
    assert len(flags) == len(objects) and flags.index.is_unique
    ref = duplicates_reference(objects["ra"], objects["dec"], objects["n_obs"], objects["objectid"])
    assert np.array_equal(flags.loc[objects["objectid"], "is_duplicate"].to_numpy(), ref)
    assert ref.sum() > 50
    # Every simulated duplicate pair that survived preprocessing has exactly one flagged member.
    truth = pd.read_parquet(tiny_run / "results/simulated/truth/objects.parquet")
    kept = truth[truth["objectid"].isin(objects["objectid"])]
    pairs = kept[kept.groupby("source_id")["objectid"].transform("size") == 2]
    per_source = flags.loc[pairs["objectid"], "is_duplicate"].groupby(pairs["source_id"].to_numpy())
    assert len(pairs) > 20 and (per_source.sum() == 1).all()


def test_hats_opens_the_shards_and_margins(tiny_run):
    root = tiny_run / "results/hats"
    main = hats.read_hats(root / "ztf_lc")
    margin = hats.read_hats(root / "ztf_lc_margin")
    assert type(margin).__name__ == "MarginCatalog"
    assert main.get_healpix_pixels() == margin.get_healpix_pixels()
    assert len(main.get_healpix_pixels()) > 10
    assert margin.catalog_info.margin_threshold == 5.0
    for path in (
        root / "ztf_lc",
        root / "ztf_lc_margin",
        root / "catalogs/allwise/allwise",
        root / "catalogs/allwise/allwise_margin",
        root / "catalogs/sdss/sdss",
    ):
        assert is_valid_catalog(path, strict=True), path
    acc = json.loads((root / "catalogs/allwise/accounting.json").read_text())
    assert acc["rows_out"] + acc["rows_outside_shards"] == acc["rows_in"]


def test_rerun_one_shard_by_naming_its_file(tiny_run):
    shard = sorted((tiny_run / "results/preprocess/dataset").rglob("Npix=*.parquet"))[3]
    before = shard.read_bytes()
    shard.unlink()
    proc = snakemake(tiny_run, str(shard.relative_to(tiny_run)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert shard.read_bytes() == before  # byte-identical
    out = proc.stdout + proc.stderr
    assert "rule shard:" in out and "rule simulate:" not in out


def test_training_set_and_predictions_add_up(tiny_run):
    labels = json.loads((tiny_run / "results/labels/summary.json").read_text())
    assert labels["sdss_rows"] == labels["sdss_clean"] + sum(labels["sdss_dropped"].values())
    # Every clean spectrum is matched, unmatched, or lost its light curve to another spectrum.
    lost = labels["light_curve_taken_by_another_spectrum"]
    assert labels["matched"] + labels["unmatched"] + lost == labels["sdss_clean"]
    assert 0 <= labels["class_conflicts"] <= lost
    assert (
        labels["sdss_dropped"]["zwarning"] > 0 and labels["sdss_dropped"]["positional_repeat"] > 0
    )
    table = pd.read_parquet(tiny_run / "results/labels/training_set.parquet")
    assert len(table) == labels["matched"] and table["objectid"].is_unique
    assert set(table["split"]) == {"train", "val", "test"}
    acc = json.loads((tiny_run / "results/preprocess/summary.json").read_text())
    done = json.loads((tiny_run / "results/astromer/predictions/done.json").read_text())
    assert done["objects"] == acc["objects_out"]
    preds = pd.concat(
        [
            pd.read_parquet(p)
            for p in sorted((tiny_run / "results/astromer/predictions").glob("group*.parquet"))
        ]
    )
    np.testing.assert_allclose(
        preds[["p_lc_galaxy", "p_lc_QSO", "p_lc_star"]].sum(axis=1), 1.0, rtol=1e-5
    )
    metrics = (tiny_run / "results/astromer/finetune/metrics.csv").read_text().splitlines()
    assert metrics[0].startswith("epoch,train_loss,val_loss") and len(metrics) == 2


def test_onnx_export_classifies_a_shard_as_the_keras_job_did(tiny_run):
    """results/astromer/export: the ONNX classifier under ONNX Runtime gives the probabilities
    the (Keras) inference job wrote, to 1e-5, on a whole group of shards."""
    from qzo.models.astromer.encoder import takes_errors
    from qzo.models.astromer.infer import (
        classify_table,
        load_classifier,
        read_sequences,
        table_sequences,
    )
    from qzo.models.astromer.runtime import OnnxClassifier
    from qzo.models.astromer.windows import make_windows

    export = tiny_run / "results/astromer/export"
    # tiny.yaml leaves the export out of `all`; asked for by name, only its job runs.
    proc = snakemake(tiny_run, "results/astromer/export/export.json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "rule astromer_export:" in proc.stderr
    assert "rule astromer_finetune:" not in proc.stderr
    record = json.loads((export / "export.json").read_text())
    assert record["check_vs_keras"]["probabilities"]["max_abs"] < 1e-5
    model_dir = tiny_run / "results/astromer/finetune/model"
    keras_model, _ = load_classifier(model_dir / "config.json", model_dir / "classifier.weights.h5")
    onnx = OnnxClassifier.like(export / "classifier.onnx", keras_model)
    group = pd.read_parquet(tiny_run / "results/astromer/predictions/group0.parquet")
    columns = ["p_lc_galaxy", "p_lc_QSO", "p_lc_star"]
    for shard, keras_rows in group.groupby("shard"):
        path = tiny_run / f"results/preprocess/dataset/{shard}.parquet"
        table = read_sequences(path, errors=takes_errors(onnx.encoder_config))
        ours = classify_table(onnx, record["classes"], table).to_pandas()
        assert list(ours["objectid"]) == list(keras_rows["objectid"])
        np.testing.assert_allclose(ours[columns], keras_rows[columns], atol=1e-5, rtol=0)

    # The README's way: plain onnxruntime on full windows (the job folds the padding into one
    # token, which moves float32 rounding by ~1e-4).
    import onnxruntime as ort

    offsets, times, mags, errors = table_sequences(table, errors=True)
    win = make_windows(offsets, times, mags, 200, single=True, errors=errors)
    zeros = np.zeros(win.mask.shape[:2], np.float32)
    session = ort.InferenceSession(str(export / "classifier.onnx"))
    t, m, mask, e = win.times, win.mags, win.mask, win.errors
    (probabilities,) = session.run(
        ["probabilities"],
        {"times": t, "mags": m, "mask": mask, "errors": e, "key_log_count": zeros},
    )
    np.testing.assert_allclose(probabilities, keras_rows[columns], atol=1e-3, rtol=0)


def test_features_equal_an_all_sky_match(tiny_run):
    """Each object's AllWISE features come from its nearest AllWISE source within 1″ over the
    whole sky (upper limits missing), found through the shard and its margin."""
    features = _all_shards(tiny_run / "results/features/dataset").reset_index(drop=True)
    wise = pd.read_parquet(tiny_run / "results/simulated/allwise.parquet")
    idx, sep, _ = SkyCoord(
        features["ra"].to_numpy() * u.deg, features["dec"].to_numpy() * u.deg
    ).match_to_catalog_sky(SkyCoord(wise["ra"].to_numpy() * u.deg, wise["dec"].to_numpy() * u.deg))
    near = sep.arcsec <= 1.0
    w1 = np.where(near, wise["w1mpro"].to_numpy()[idx], np.nan)
    w1 = np.where(near & (wise["ph_qual"].str[0].to_numpy()[idx] == "U"), np.nan, w1)
    np.testing.assert_array_equal(features["wise_w1"].to_numpy(), w1)
    assert features["wise_sep_arcsec"].notna().sum() == near.sum() > 100
    # (Counterparts across shard borders: tests/unit/lightcurves/test_crossmatch.py.)


def test_catalog_models_learn_from_transformer_and_shallow_features(tiny_run):
    """By default the catalog's classifiers see the transformer's probabilities and the
    shallow light-curve features (xgb.catalog_light_curve_features), the shard's feature table
    holds the latter for every object, and Table 1's caption says so."""
    features = _all_shards(tiny_run / "results/features/dataset")
    assert set(feature_names()) <= set(features.columns)
    long = features["n_obs"] >= 4
    assert features.loc[long, "lc_standard_deviation"].notna().all() and long.sum() > 100
    for name, extra in (("ztf", []), ("ztf_wise", ["wise"])):
        booster = load_model(tiny_run / f"results/xgb/models/{name}.json")
        assert booster.feature_names == features_of(["ztf", "shallow", *extra])
    caption = (tiny_run / "results/evaluate/table1.md").read_text().splitlines()[0]
    assert "transformer probabilities + shallow light-curve statistics" in caption


def test_the_evaluation_scores_the_reference_models_on_the_simulated_sky(tiny_run):
    """The light-curve table scores, beside the learnt models, the oracle and the likelihood
    model on the same test objects."""
    table = pd.read_csv(tiny_run / "results/evaluate/light_curve_models.csv").set_index("bin")
    labels = pd.read_parquet(tiny_run / "results/labels/training_set.parquet")
    assert table.loc["all", "n"] == (labels["split"] == "test").sum()
    for model in ("transformer", "shallow", "oracle", "likelihood"):
        assert 0 <= table.loc["all", model] <= 1, model


def test_catalogs_hold_every_object_with_their_columns_and_cuts(tiny_run):
    acc = json.loads((tiny_run / "results/preprocess/summary.json").read_text())
    summary = json.loads((tiny_run / "results/catalog/summary.json").read_text())
    assert summary["objects"] == acc["objects_out"]
    full = lsdb.open_catalog(tiny_run / "results/catalog/hats/qzo_objects").compute()
    objects = _all_shards(tiny_run / "results/preprocess/dataset")
    assert len(full) == acc["objects_out"] and full["ID"].is_unique
    assert set(full["ID"]) == set(objects["objectid"])
    all_qso = pd.read_csv(tiny_run / "results/catalog/ZTF_all_QSO.csv")
    assert list(all_qso.columns) == [
        *CATALOG_COLUMNS,
        "in_training_set",
        "label_distance",
        *CALIBRATED_COLUMNS,
    ]
    assert sorted(all_qso["ID"]) == sorted(full.loc[any_qso(full), "ID"])
    qzo = pd.read_csv(tiny_run / "results/catalog/QZO.csv")
    assert list(qzo.columns) == [
        *QZO_COLUMNS,
        "in_training_set",
        "label_distance",
        *CALIBRATED_COLUMNS,
    ]
    assert len(qzo) == summary["QZO"]
    assert sorted(qzo["ID"]) == sorted(full.loc[qzo_selection(full, CUTS), "ID"])
    assert (qzo["p_WISE_QSO"] > 0.9).all()
    assert (qzo["mag_median"] < qzo["n_obs"] / 80 + 20.375).all()
    assert not full.set_index("ID").loc[qzo["ID"], "is_duplicate"].any()
    # Redshifts exactly where an AllWISE counterpart exists.
    assert (full["redshift"].notna() == full["wise_sep_arcsec"].notna()).all()
    train = pd.read_csv(tiny_run / "results/catalog/train.csv")
    labels = pd.read_parquet(tiny_run / "results/labels/training_set.parquet")
    assert list(train.columns) == TRAIN_COLUMNS and len(train) == len(labels)
    # Labelled objects carry in the catalogs the probabilities train.csv holds (XGBoost on the
    # out-of-fold light-curve probabilities), and the fitted splits are flagged.
    seen = pd.read_parquet(tiny_run / "results/xgb/training_predictions.parquet")
    both = full.merge(seen, left_on="ID", right_on="objectid", suffixes=("", "_train"))
    assert len(both) == len(labels)
    for col in ("p_QSO", "p_WISE_QSO", "p_lc_QSO"):
        np.testing.assert_allclose(both[col], both[f"{col}_train"], atol=1e-6)
    assert (both["in_training_set"] == both["split"].isin(["train", "val"])).all()
    assert full["in_training_set"].sum() == labels["split"].isin(["train", "val"]).sum()
    assert pd.read_parquet(tiny_run / "results/catalog/QZO.parquet")["ID"].tolist() == list(
        qzo["ID"]
    )
    # The calibrated probabilities: the raw ones times calibrate's per-class ratio, renormalised;
    # QZO_calibrated applies the QZO cuts to p_WISE_cal_QSO.
    calibration = json.loads((tiny_run / "results/calibrate/calibration.json").read_text())
    ratio = np.asarray(calibration["models"]["ztf_wise"]["ratio"])
    scaled = full[["p_WISE_galaxy", "p_WISE_QSO", "p_WISE_star"]].to_numpy(np.float64) * ratio
    np.testing.assert_allclose(
        full["p_WISE_cal_QSO"], scaled[:, 1] / scaled.sum(1), rtol=1e-5, atol=1e-6
    )
    assert calibration["labelled_rows"] == (labels["split"] == "val").sum()
    calibrated = pd.read_csv(tiny_run / "results/catalog/QZO_calibrated.csv")
    assert len(calibrated) == summary["QZO_calibrated"]
    chosen = full.loc[qzo_selection(full, CUTS, "p_WISE_cal_QSO"), "ID"]
    assert sorted(calibrated["ID"]) == sorted(chosen)


def test_evaluation_tables_hold_numbers_and_figures_exist(tiny_run):
    out = tiny_run / "results/evaluate"
    table1 = pd.read_csv(out / "table1.csv")
    assert len(table1) == 6 and table1.loc[0, "qso_fraction"] == 1.0
    assert np.isfinite(table1["accuracy_subset"]).all()
    # QSOs a cut removes only add misses: the full-sample F1 never exceeds the subset's.
    subset, full = table1["qso_f1_subset"], table1["qso_f1_full_sample"]
    assert ((full <= subset + 1e-12) | subset.isna()).all()
    table3 = pd.read_csv(out / "table3.csv")
    assert list(table3["features"]) == [
        "ASTROMER alone",
        "ZTF",
        "SHALLOW",
        "ZTF + WISE",
        "ZTF + PS + WISE + GAIA",
    ]
    assert table3["accuracy"].between(0, 1).all()
    f1 = table3.set_index("features")
    assert (f1["qso_f1_low"] <= f1["qso_f1"]).all() and (f1["qso_f1"] <= f1["qso_f1_high"]).all()
    assert f1.loc["SHALLOW", ["minus_shallow_low", "minus_shallow_high"]].tolist() == [0, 0]
    table4 = pd.read_csv(out / "table4.csv").set_index("cut")
    counted = table4.drop(columns=["qso_f1", "accuracy"])
    assert (np.diff(counted.to_numpy(), axis=1) <= 0).all() and counted.iloc[0, 0] > 0
    assert table4["accuracy"].between(0, 1).all()
    stacking = pd.read_csv(out / "stacking.csv")
    assert set(stacking["light_curve_probabilities"]) == {"out-of-fold", "in-sample"}
    truth = pd.read_csv(out / "truth.csv").set_index("catalog")
    assert truth.loc["ZTF_all_QSO", "rows"] == len(
        pd.read_csv(tiny_run / "results/catalog/ZTF_all_QSO.csv")
    )
    # The tiny model is barely trained, so QZO may be empty (purity NaN); ZTF_all_QSO is not.
    all_qso = truth.loc["ZTF_all_QSO"]
    assert 0 < all_qso["purity_objects"] <= 1 and 0 < all_qso["completeness_objects"] <= 1
    # Per source, the input's QSOs include those preprocessing removed: a larger denominator.
    assert (
        all_qso["completeness_sources_input"] <= all_qso["completeness_sources_preprocessed"] <= 1
    )
    assert truth.loc["QZO", "rows"] == len(pd.read_csv(tiny_run / "results/catalog/QZO.csv"))
    calibrated = pd.read_csv(tiny_run / "results/catalog/QZO_calibrated.csv")
    assert truth.loc["QZO_calibrated", "rows"] == len(calibrated)
    # QZO's rows among the labelled objects (label_distance ≤ 1) are scored beside it.
    qzo = pd.read_csv(tiny_run / "results/catalog/QZO.csv")
    assert qzo["label_distance"].notna().all() and (qzo["label_distance"] >= 0).all()
    assert truth.loc["QZO inside the labels", "rows"] == (qzo["label_distance"] <= 1).sum()
    # The catalogs by kind of source add up to their rows; their QSOs are the truth table's.
    kinds = pd.read_csv(out / "contaminants.csv")
    per_catalog = kinds.groupby("catalog")["rows"].sum()
    for name in truth.index:
        assert per_catalog.get(name, 0) == truth.loc[name, "rows"]
    qsos = kinds[kinds["kind"] == "qso: drw"].set_index("catalog")["rows"]
    assert qsos["ZTF_all_QSO"] == round(all_qso["purity_objects"] * all_qso["rows"])
    assert (kinds["rows"] <= kinds["in_population"]).all()
    assert set(kinds["kind"].str.split(":").str[0]) <= {"galaxy", "qso", "star"}
    # The calibration check: over all non-duplicates, n is the sky's and the true purity its
    # QSO share; per bin the counts add up to the total.
    check = pd.read_csv(out / "calibration.csv").set_index(["selection", "mag_median"])
    sky = check.loc["all non-duplicates"]
    assert sky.loc["all", "n"] == sky.drop(index="all")["n"].sum() > 100
    assert 0 < sky.loc["all", "true_purity"] < 0.5
    if len(calibrated):  # the tiny model may select nothing
        assert check.loc[("QZO_calibrated", "all"), "n"] == len(calibrated)
    for name in ("table1", "table3", "table4", "stacking", "truth", "calibration"):
        assert (out / f"{name}.md").read_text().count("|") > 10
    for fig in ("fig3", "fig7", "fig8", "fig9", "skymap"):
        assert (out / f"{fig}.png").read_bytes()[:4] == b"\x89PNG"


def test_report_holds_the_tables_and_figures(tiny_run):
    proc = snakemake(tiny_run, "--report", "report.html")
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = (tiny_run / "report.html").read_text()
    assert "fig3.png" in html and "table1.csv" in html


def test_rerun_has_nothing_to_do(tiny_run):
    proc = snakemake(tiny_run, "-n")
    assert proc.returncode == 0
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_changing_how_inference_runs_does_not_retrain(tiny_run, tmp_path):
    """astromer.backend, precision and batch_size are inference keys: a dry run after changing
    them reruns inference and what follows it, never the training rules."""
    config = yaml.safe_load(TINY.read_text())
    config["astromer"].update(backend="auto", precision="float32", batch_size=64)
    # Same key order as tiny.yaml: Snakemake compares params as written (a reordered dict
    # counts as changed).
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(config, sort_keys=False))
    proc = snakemake(tiny_run, "-n", configfile=changed)
    assert proc.returncode == 0, proc.stderr[-3000:]
    planned = proc.stdout + proc.stderr
    assert "rule astromer_infer:" in planned
    for rule in ("astromer_pretrain", "astromer_finetune", "astromer_finetune_fold", "labels"):
        assert f"rule {rule}:" not in planned


def test_job_killed_mid_write_is_remade_by_rerun_incomplete(tiny_run, tmp_path):
    """Kill the run (Snakemake and its job) while the catalog job writes; the partial output it
    leaves is not trusted, and --rerun-incomplete reaches byte-identical catalogs."""
    work = tmp_path / "work"
    shutil.copytree(tiny_run, work, symlinks=True)
    reference = catalog_files(tiny_run)
    shutil.rmtree(work / "results/catalog")
    job_log = work / "logs/catalog.log"
    job_log.unlink()
    cmd, env = snakemake_command(REPO / "Snakefile", work, TINY)
    run = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 300
        while not job_log.exists() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert job_log.exists(), "the catalog job never started"
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    # What a writer killed half-way leaves behind (atomic writes leave nothing, other tools do).
    partial = work / "results/catalog/ZTF_all_QSO.csv"
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_bytes(reference["ZTF_all_QSO.csv"][: len(reference["ZTF_all_QSO.csv"]) // 2])

    refused = snakemake(work, "-n")
    assert refused.returncode != 0
    assert "incomplete" in refused.stdout + refused.stderr
    assert "ZTF_all_QSO.csv" in refused.stdout + refused.stderr

    # A hard kill leaves Snakemake's lock behind too: remove it, as the README says, then resume.
    assert snakemake(work, "--unlock").returncode == 0
    resumed = snakemake(work, "--rerun-incomplete")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "rule catalog:" in resumed.stdout + resumed.stderr
    assert catalog_files(work) == reference


def test_dry_run_shows_the_dag(tmp_path):
    proc = snakemake(tmp_path, "-n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout + proc.stderr
    for rule in ("simulate", "ztf_inventory", "all"):
        assert f"rule {rule}:" in out or f"localrule {rule}:" in out
    graph = snakemake(tmp_path, "--rulegraph")
    assert "simulate" in graph.stdout and "ztf_inventory" in graph.stdout


def test_unknown_config_key_stops_the_run(tmp_path):
    cfg = write_config(tmp_path / "bad.yaml", {"simulation": {"n_source": 10}})
    proc = snakemake(tmp_path, "-n", configfile=cfg)
    assert proc.returncode != 0
    assert "config key 'simulation.n_source': unknown key" in proc.stdout + proc.stderr


def test_real_fixture_through_the_workflow(tmp_path, ztf_sample):
    cfg = real_data_config(tmp_path, str(ztf_sample), partition={"max_rows_per_shard": 100})
    # Real catalogs and spectra are not at hand: run the stages up to the preprocessing summary.
    proc = snakemake(
        tmp_path,
        "results/preprocess/summary.json",
        "results/hats/ztf_lc/properties",
        configfile=cfg,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((tmp_path / "results/inputs/ztf_inventory.json").read_text())
    assert summary["n_objects"] == 655 and summary["n_files"] == 1
    assert not (tmp_path / "results/simulated").exists()
    acc = json.loads((tmp_path / "results/preprocess/summary.json").read_text())
    assert acc["objects_in"] == 655
    assert acc["objects_out"] + sum(acc["objects_dropped"].values()) == 655
    assert acc["epochs_in"] == pq.read_table(ztf_sample).column("nepochs").to_numpy().sum()
    assert acc["n_shards"] > 1
    assert hats.read_hats(tmp_path / "results/hats/ztf_lc").catalog_info.total_rows == 655
    # Every kept object found its counterpart in each catalog; W4 (ph_qual U) is missing.
    features = _all_shards(tmp_path / "results/features/dataset")
    assert len(features) == acc["objects_out"]
    assert acc["crossmatch"] == {
        "objects": len(features),
        **{f"{c}_matched": len(features) for c in ("allwise", "ps1", "gaia")},
    }
    assert (features["wise_w1_w3"] == 0).all() and features["wise_w4"].isna().all()


def test_corrupt_input_fails_naming_file_and_rule(tmp_path, ztf_sample):
    data = tmp_path / "dr"
    data.mkdir()
    (data / "ztf_000202_zg_c16_q2_dr5.parquet").write_bytes(ztf_sample.read_bytes())
    corrupt = data / "ztf_000203_zg_c01_q1_dr5.parquet"
    corrupt.write_bytes(ztf_sample.read_bytes()[:5000])
    proc = snakemake(tmp_path, configfile=real_data_config(tmp_path, str(data / "*.parquet")))
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"rule ztf_inventory: file {corrupt}: not a readable Parquet file" in out
    assert not (tmp_path / "results/inputs/ztf_inventory.parquet").exists()


def test_corrupt_file_fails_its_shards_alone(tmp_path):
    """A file that goes bad after validation fails its own batch and shards; the rest finish."""
    work = tmp_path / "w"
    assert snakemake(work, "--until", "partition_plan").returncode == 0
    plan = json.loads((work / "results/partition/plan.json").read_text())
    bad = Path(plan["batches"][0][0])
    bad = bad if bad.is_absolute() else work / bad
    bad.write_bytes(b"PAR1 this is not parquet")
    proc = snakemake(work, "--keep-going")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"rule partition_split: file {bad.relative_to(work)}: not a readable Parquet file" in out
    touched = {plan["shards"][i] for i in plan["batch_shards"][0]}
    done = {s for s in plan["shards"] if (work / f"results/dedup/dataset/{s}.parquet").exists()}
    assert done == set(plan["shards"]) - touched and len(done) > 0


def test_slurm_profile_dry_run(tmp_path):
    proc = snakemake(tmp_path, "-n", "--profile", str(REPO / "profiles" / "slurm"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "simulate" in proc.stdout + proc.stderr


def test_transformer_study_scores_a_variant_beside_the_baselines(tiny_run, tmp_path):
    """`python -m qzo.studies.transformer` on a finished run: the three baselines and each
    variant, trained to early stopping on the share of the train split asked for, scored on the
    run's test split."""
    out = tmp_path / "study.json"
    args = [str(tiny_run / "results"), "--config", *TINY_RUN_CONFIG, "--out", str(out)]
    study_main([*args, "--variants", "no_pretraining", "--fractions", "0.5", "--seed", "3"])
    records = json.loads(out.read_text())
    assert [r["model"] for r in records] == [
        "shallow + mag_median",
        "shallow without errors or magnitude",
        "mag_median + n_obs + timespan",
        "transformer: no_pretraining",
    ]
    split = (pq.read_table(tiny_run / "results/labels/training_set.parquet")["split"]).to_numpy(
        zero_copy_only=False
    )
    assert {r["n"] for r in records} == {int((split == "test").sum())}
    assert {r["train_rows"] for r in records} == {round(0.5 * (split == "train").sum())}
    variant = records[3]
    assert variant["pretrain_data"] is None and variant["finetune"]["epochs_run"] >= 1
    assert 0 <= variant["accuracy"] <= 1 and variant["seed"] == 3


def test_shallow_catalog_study_scores_and_checks_the_calibration(tiny_run, tmp_path):
    """python -m qzo.studies.shallow_catalog: shallow-feature catalog models on the run's
    training set, Table 1 on its test split, and the calibration check over every object."""
    out = tmp_path / "study"
    shallow_catalog_main(
        [str(tiny_run / "results"), "--config", *TINY_RUN_CONFIG, "--out", str(out)]
    )
    table1 = pd.read_csv(out / "table1.csv")
    labels = pd.read_parquet(tiny_run / "results/labels/training_set.parquet")
    assert len(table1) == 6 and table1.loc[0, "n"] == (labels["split"] == "test").sum()
    table = pd.read_csv(out / "calibration.csv").set_index(["selection", "mag_median"])
    objects = _all_shards(tiny_run / "results/features/dataset")
    sky = table.loc[("all non-duplicates", "all")]
    assert sky["n"] == (~objects["is_duplicate"]).sum()
    assert 0 < sky["true_purity"] < 0.5 and 0 < sky["predicted_purity_calibrated"] < 1
    fitted = json.loads((out / "calibration.json").read_text())
    assert fitted["labelled_rows"] == (labels["split"] == "val").sum()
    text = (out / "calibration.md").read_text()
    assert text.startswith("Calibration check with shallow-feature catalog models")


def test_label_support_study_splits_each_catalog_inside_and_outside(tiny_run, tmp_path):
    """python -m qzo.studies.label_support: QZO, QZO_calibrated and the test split, each
    inside and outside the labelled set's support, with the simulated truth's counts."""
    out = tmp_path / "support"
    arguments = [str(tiny_run / "results"), "--config", *TINY_RUN_CONFIG, "--out", str(out)]
    label_support_main([*arguments, "--quantiles", "0.9", "0.99"])
    table = pd.read_csv(out / "label_support.csv").set_index(["quantile", "selection", "part"])
    labels = pd.read_parquet(tiny_run / "results/labels/training_set.parquet")
    sizes = {
        "QZO": len(pd.read_parquet(tiny_run / "results/catalog/QZO.parquet")),
        "QZO_calibrated": len(pd.read_parquet(tiny_run / "results/catalog/QZO_calibrated.parquet")),
        "test split": int((labels["split"] == "test").sum()),
    }
    for quantile in (0.9, 0.99):
        for name, size in sizes.items():
            part = table.loc[(quantile, name)]
            assert part.loc["all", "rows"] == size
            assert part.loc["inside", "rows"] + part.loc["outside", "rows"] == size
            assert (
                part.loc["inside", "true_qsos"] + part.loc["outside", "true_qsos"]
                == (part.loc["all", "true_qsos"])
            )
    # A stricter quantile puts fewer test objects outside.
    outside = table.xs("outside", level="part")["rows"]
    assert outside[(0.99, "test split")] <= outside[(0.9, "test split")]
    assert (out / "label_support.md").read_text().startswith("The catalogs of ")


def test_the_evaluation_compares_the_models_cross_fitted_on_every_train_object(tiny_run):
    """evaluate/cross_fitted: the transformer's fold classes beside XGBoost's cross-fitted on
    the same folds (on its probabilities, the shallow statistics, both, and the oracle and the
    likelihood model), over the whole train split, with the paired differences' intervals."""
    results = tiny_run / "results"
    labels = pd.read_parquet(results / "labels/training_set.parquet")
    train = labels[labels["split"] == "train"]
    models = pd.read_parquet(results / "xgb/cross_fitted_models.parquet")
    assert sorted(models["objectid"]) == sorted(train["objectid"])
    fold_files = sorted(results.glob("astromer/folds/fold*/predictions.parquet"))
    assert set(models["fold"]) == set(range(len(fold_files)))
    folds = pd.concat(pd.read_parquet(p) for p in fold_files)
    argmax = folds.set_index("objectid")[LC_PROBABILITIES].to_numpy().argmax(1)
    expected = pd.Series(argmax, index=folds["objectid"].to_numpy())
    assert (models["transformer"].to_numpy() == expected[models["objectid"]].to_numpy()).all()
    table = pd.read_csv(results / "evaluate/cross_fitted.csv").set_index("bin")
    assert table.loc["all", "n"] == len(train)
    assert table.loc["all", "qsos"] == (train["class"] == "QSO").sum()
    for model in ("transformer", "deep", "shallow", "deep + shallow", "oracle", "likelihood"):
        assert 0 <= table.loc["all", model] <= 1
    for prefix in (
        "transformer_minus_shallow",
        "transformer_minus_likelihood",
        "both_minus_transformer",
        "both_minus_shallow",
    ):
        low, high = table.loc["all", [f"{prefix}_low", f"{prefix}_high"]]
        assert -1 <= low <= high <= 1
    summary = json.loads((results / "evaluate/summary.json").read_text())
    assert summary["cross_fitted"][0]["n"] == len(train)


def test_stage_one_learns_from_every_light_curve_of_the_sky(tiny_run):
    """By default stage 1 reads every shard: on a sky smaller than the sample size, every
    preprocessed light curve is in its train or val part."""
    data = json.loads((tiny_run / "results/astromer/pretrain/summary.json").read_text())["data"]
    preprocessed = json.loads((tiny_run / "results/preprocess/summary.json").read_text())
    assert data["source"] == "sky"
    assert data["sky_light_curves"] == preprocessed["objects_out"]
    assert data["sample"]["train"] + data["sample"]["val"] == preprocessed["objects_out"]
    assert data["sample"]["val"] > 0


def test_every_transformer_job_runs_tensorflow_on_its_rules_threads(tiny_run):
    """Stage 1 and inference on the config's ``threads``, fine-tuning on one: never on every
    core the machine has, whose number would change the models' float32 sums."""
    logs = tiny_run / "logs"
    expected = {
        "astromer_pretrain.log": 2,
        "astromer_finetune.log": 1,
        "astromer_finetune_fold/fold0.log": 1,
        "astromer_finetune_fold/fold1.log": 1,
        "astromer_infer/group0.log": 2,
        "astromer_infer/group1.log": 2,
    }
    for log, threads in expected.items():
        assert f"CPU threads: TensorFlow on {threads}\n" in (logs / log).read_text(), log
