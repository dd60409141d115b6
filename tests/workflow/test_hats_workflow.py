"""IRSA's HATS light-curve catalogs as the workflow's input: the simulated sky written as a
HATS collection gives the same catalogs as the same sky in per-field files, and a real HATS
catalog is planned while the workflow is parsed (no checkpoint)."""

import json
import re
import shutil

import lsdb
import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import DATA, REPO, TINY, real_data_config, write_config
from conftest import run_workflow as snakemake

pytestmark = pytest.mark.workflow

FIXTURE = DATA / "ztf_dr5_field202_rc61_hats"
SHARD_OUTPUTS = (
    "hats/ztf_lc/dataset",
    "hats/ztf_lc_margin/dataset",
    "preprocess/dataset",
    "preprocess/margin",
    "dedup/dataset",
    "features/dataset",
)


def _files(root):
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


#: What the run on HATS inputs makes and compares with the run on per-field files: every
#: shard's outputs and the training set. No rule after them reads the input's format or the
#: catalogs' paths, and the training and everything after it are deterministic (the SLURM test
#: remakes the tiny run's catalogs byte for byte), so equal files here mean equal catalogs.
HATS_TARGETS = (
    "results/labels/training_set.parquet",
    "results/preprocess/summary.json",
    "results/hats/ztf_lc/properties",
    "results/hats/catalogs/summary.json",
)


def test_the_same_sky_as_hats_gives_byte_identical_shards_and_training_set(tiny_run, tmp_path):
    """The light curves and the matched catalogs (AllWISE, PS1, Gaia) as HATS collections, read
    where they lie; SDSS stays a table, re-partitioned."""
    config = yaml.safe_load(TINY.read_text())
    config["simulation"]["format"] = "hats"
    config["inputs"]["ztf_lightcurves"] = "results/simulated/ztf"
    positions = {"allwise": ("ra", "dec"), "ps1": ("raMean", "decMean"), "gaia": ("ra", "dec")}
    config["catalogs"] = {
        name: {"path": f"results/simulated/hats_catalogs/{name}", "ra": ra, "dec": dec}
        for name, (ra, dec) in positions.items()
    }
    work = tmp_path / "hats"
    proc = snakemake(work, *HATS_TARGETS, configfile=write_config(tmp_path / "hats.yaml", config))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert "rule ztf_inventory" not in out and "rule partition_split" not in out
    assert out.count("rule partition_catalog:") == 1  # SDSS alone
    summary = json.loads((work / "results/hats/catalogs/summary.json").read_text())
    assert {summary[c]["format"] for c in positions} == {"hats"}
    collection = work / "results/simulated/ztf"
    assert (collection / "collection.properties").exists()
    assert (
        len(lsdb.open_catalog(collection).compute())
        == json.loads((tiny_run / "results/inputs/ztf_inventory.json").read_text())["n_objects"]
    )
    plan = json.loads((work / "results/partition/plan.json").read_text())
    files_plan = json.loads((tiny_run / "results/partition/plan.json").read_text())
    assert plan["input"] == "hats" and plan["shards"] == files_plan["shards"]
    for folder in (*SHARD_OUTPUTS, "labels"):
        got, expected = _files(work / "results" / folder), _files(tiny_run / "results" / folder)
        assert got.keys() == expected.keys() and got == expected, folder
    keys = ("objects_in", "objects_out", "objects_dropped", "input")
    got, expected = (
        {k: json.loads((run / "results/preprocess/summary.json").read_text())[k] for k in keys}
        for run in (work, tiny_run)
    )
    assert got == expected


def test_a_real_hats_catalog_is_planned_while_parsing(tmp_path):
    cfg = real_data_config(tmp_path, str(FIXTURE), partition={"max_rows_per_shard": 100})
    targets = ("results/preprocess/summary.json", "results/hats/ztf_lc/properties")
    dry = snakemake(tmp_path, "-n", *targets, configfile=cfg)
    assert dry.returncode == 0, dry.stderr[-3000:]
    out = dry.stdout + dry.stderr
    # Every shard job is in the dry run: nothing waits on a checkpoint.
    partitions = len((FIXTURE / "ztf_lc/partition_info.csv").read_text().splitlines()) - 1
    shard_jobs = [line.split() for line in out.splitlines() if line.strip().startswith("shard ")]
    assert shard_jobs and int(shard_jobs[0][1]) > partitions  # large partitions were cut
    assert "ztf_inventory" not in out and "partition_split" not in out

    proc = snakemake(tmp_path, *targets, configfile=cfg)
    assert proc.returncode == 0, proc.stderr[-3000:]
    acc = json.loads((tmp_path / "results/preprocess/summary.json").read_text())
    assert acc["objects_in"] == acc["input"]["rows_read"] == 655
    assert acc["input"]["rows_other_band"] == 0
    assert acc["objects_out"] + sum(acc["objects_dropped"].values()) == 655
    assert acc["n_shards"] == int(shard_jobs[0][1])
    epochs = sum(
        pq.read_table(p, columns=["nepochs"]).column(0).to_numpy().sum()
        for p in (FIXTURE / "ztf_lc/dataset").rglob("*.parquet")
    )
    assert acc["epochs_in"] == epochs


def test_a_corrupt_partition_fails_its_shard_naming_file_and_rule(tmp_path):
    catalog = tmp_path / "hats"
    shutil.copytree(FIXTURE, catalog)
    bad = next((catalog / "ztf_lc/dataset").rglob("part0.snappy.parquet"))
    bad.write_bytes(bad.read_bytes()[:3000])
    cfg = real_data_config(tmp_path, str(catalog))
    proc = snakemake(tmp_path, "--keep-going", "results/preprocess/summary.json", configfile=cfg)
    assert proc.returncode != 0
    assert f"rule shard: file {bad}: not a readable Parquet file" in proc.stdout + proc.stderr


def test_the_readme_hats_config_plans_the_fixture(tmp_path):
    """The README's HATS config, with its path pointed at the DR5 fixture, dry-runs."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Running on IRSA's HATS catalogs", 1)[1].split("\n## ", 1)[0]
    config = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S)[1])
    assert config["simulation"]["enabled"] is False
    config["inputs"]["ztf_lightcurves"] = str(FIXTURE)
    base = yaml.safe_load(real_data_config(tmp_path, str(FIXTURE)).read_text())
    cfg = write_config(tmp_path / "readme.yaml", {**base, **config})
    proc = snakemake(tmp_path, "-n", "--quiet", "rules", configfile=cfg)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"^shard\s+3$", proc.stdout, re.M), proc.stdout


def test_a_region_run_keeps_exactly_the_objects_inside(tmp_path, ztf_sample):
    table = pq.read_table(ztf_sample, columns=["objectid", "objra", "objdec"])
    ra, dec = (table.column(c).to_numpy().astype(float) for c in ("objra", "objdec"))
    box = {"ra": [float(ra.min()), float(np.median(ra))], "dec": [-28.2, -27.7]}
    config = yaml.safe_load(real_data_config(tmp_path, str(FIXTURE)).read_text())
    config["inputs"]["region"] = {"box": box}
    cfg = write_config(tmp_path / "region.yaml", config)
    proc = snakemake(tmp_path, "results/preprocess/summary.json", configfile=cfg)
    assert proc.returncode == 0, proc.stderr[-3000:]
    inside = (ra >= box["ra"][0]) & (ra <= box["ra"][1]) & (dec >= -28.2) & (dec <= -27.7)
    assert 0 < inside.sum() < len(ra)
    kept = np.concatenate(
        [
            pq.read_table(p, columns=["objectid"]).column(0).to_numpy()
            for p in (tmp_path / "results/hats/ztf_lc/dataset").rglob("*.parquet")
        ]
    )
    expected = table.column("objectid").to_numpy()[inside]
    assert np.array_equal(np.sort(kept), np.sort(expected))
    acc = json.loads((tmp_path / "results/preprocess/summary.json").read_text())
    assert acc["objects_in"] == inside.sum()
    assert acc["input"]["rows_read"] - acc["input"]["rows_outside_region"] == inside.sum()
