"""The Snakemake workflow end to end on the tiny config, on the real fixture, and on bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO

pytestmark = pytest.mark.workflow
TINY = REPO / "tests" / "config" / "tiny.yaml"


def snakemake(workdir: Path, *args, configfile: Path = TINY) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(configfile),
        "--cores",
        "2",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)


def write_config(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("tiny")
    proc = snakemake(work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work


def test_tiny_run_validates_every_simulated_object(tiny_run):
    manifest = json.loads((tiny_run / "results/simulated/manifest.json").read_text())
    summary = json.loads((tiny_run / "results/inputs/ztf_inventory.json").read_text())
    assert summary["n_files"] == len(manifest["ztf_files"])
    assert summary["n_objects"] == manifest["n_objectids"] > 1000
    assert summary["n_epochs"] == manifest["n_epochs"]
    for rule in ("simulate", "ztf_inventory"):
        assert (tiny_run / "logs" / f"{rule}.log").stat().st_size > 0
        assert (tiny_run / "benchmarks" / f"{rule}.tsv").exists()


def test_rerun_has_nothing_to_do(tiny_run):
    proc = snakemake(tiny_run, "-n")
    assert proc.returncode == 0
    assert "Nothing to be done" in proc.stdout + proc.stderr


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
    cfg = write_config(
        tmp_path / "real.yaml",
        {
            "inputs": {"ztf_lightcurves": str(ztf_sample)},
            "simulation": {"enabled": False},
        },
    )
    proc = snakemake(tmp_path, configfile=cfg)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((tmp_path / "results/inputs/ztf_inventory.json").read_text())
    assert summary["n_objects"] == 655 and summary["n_files"] == 1
    assert not (tmp_path / "results/simulated").exists()


def test_corrupt_input_fails_naming_file_and_rule(tmp_path, ztf_sample):
    data = tmp_path / "dr"
    data.mkdir()
    (data / "ztf_000202_zg_c16_q2_dr5.parquet").write_bytes(ztf_sample.read_bytes())
    corrupt = data / "ztf_000203_zg_c01_q1_dr5.parquet"
    corrupt.write_bytes(ztf_sample.read_bytes()[:5000])
    cfg = write_config(
        tmp_path / "real.yaml",
        {
            "inputs": {"ztf_lightcurves": str(data / "*.parquet")},
            "simulation": {"enabled": False},
        },
    )
    proc = snakemake(tmp_path, configfile=cfg)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"rule ztf_inventory: file {corrupt}: not a readable Parquet file" in out
    assert not (tmp_path / "results/inputs/ztf_inventory.parquet").exists()


def test_slurm_profile_dry_run(tmp_path):
    proc = snakemake(tmp_path, "-n", "--profile", str(REPO / "profiles" / "slurm"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "simulate" in proc.stdout + proc.stderr
