"""Shared test fixtures: the real-data fixtures in tests/data, the tiny workflow run, a small
simulated sky, and defaults built from the config schema."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from qzo.config import PreprocessSettings, default_config, load_config
from qzo.io.catalog_files import catalog_columns
from qzo.simulate.run import SimulatedSkyPaths, simulate_sky
from qzo.testing.snakemake import BackgroundRun, run_snakemake, start_snakemake

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
TINY = REPO / "tests" / "config" / "tiny.yaml"


def run_workflow(workdir: Path, *args, configfile: Path | None = TINY, **kwargs):
    """The workflow in ``workdir`` on the tiny config (or ``configfile``); the finished process."""
    return run_snakemake(REPO / "Snakefile", workdir, configfile, *args, **kwargs)


def start_workflow(workdir: Path, *args, configfile: Path | None = TINY, **kwargs) -> BackgroundRun:
    """:func:`run_workflow` started in the background."""
    return start_snakemake(REPO / "Snakefile", workdir, configfile, *args, **kwargs)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that wait for the SLURM run's result go last: the run starts with the first SLURM
    test and goes on in the background (tests/slurm/test_slurm.py), beside the other tests."""
    waiting = [item for item in items if "slurm_run" in getattr(item, "fixturenames", ())]
    if waiting:
        items[:] = [item for item in items if item not in waiting] + waiting


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """The whole workflow on the tiny config, run once per session with the local executor."""
    work = tmp_path_factory.mktemp("tiny")
    proc = run_workflow(work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work


def catalog_files(workdir: Path) -> dict[str, bytes]:
    """Every file the catalog rule wrote (CSV, Parquet, HATS copy, summary), by relative path."""
    root = workdir / "results" / "catalog"
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def data_path(name: str) -> Path:
    """A real-data fixture in tests/data (see its README); fails with the path if absent."""
    path = DATA / name
    if not path.exists():
        pytest.fail(f"real-data fixture missing: {path} (tests/data/README.md lists them)")
    return path


@pytest.fixture(scope="session")
def ztf_sample() -> Path:
    return data_path("ztf_dr5_field202_rc61_sample.parquet")


def preprocess_settings(**overrides) -> PreprocessSettings:
    """The schema's preprocessing defaults, with ``overrides``."""
    return PreprocessSettings.from_config({**default_config()["preprocess"], **overrides})


def small_sky_config(**overrides) -> dict:
    sim = {
        "n_sources": 4000,
        "seed": 11,
        "regions": [
            {"ra": 185.0, "dec": 30.0, "radius": 1.2},
            {"ra": 300.0, "dec": 30.0, "radius": 0.6},
        ],
    }
    sim.update(overrides)
    return load_config(overrides={"simulation": sim})["simulation"]


def simulate_into(directory: Path, cfg: dict, workers: int = 2) -> dict:
    """A simulated sky written under ``directory`` in the workflow's layout; its manifest."""
    return simulate_sky(cfg, SimulatedSkyPaths.in_directory(directory), workers, progress=False)


@pytest.fixture(scope="session")
def small_sky(tmp_path_factory) -> tuple[Path, dict]:
    """A simulated sky of 4,000 sources, written once per test session."""
    out = tmp_path_factory.mktemp("sky")
    return out, simulate_into(out, small_sky_config())


def pole_and_seam_sky(rng, n=60000):
    """Clumps at the north pole, the south pole, across RA = 0, plus close companions."""
    ra = np.concatenate(
        [rng.uniform(0, 360, n), rng.uniform(0, 360, n), rng.uniform(-1.5, 1.5, n) % 360]
    )
    dec = np.concatenate(
        [rng.uniform(88.5, 90, n), rng.uniform(-90, -88.5, n), rng.uniform(-1, 1, n)]
    )
    k = len(ra) // 4
    pick = rng.integers(0, len(ra), k)
    sep = rng.uniform(0.05, 3.0, k) / 3600
    pa = rng.uniform(0, 2 * np.pi, k)
    dec2 = np.clip(dec[pick] + sep * np.cos(pa), -89.99999, 89.99999)
    ra2 = (ra[pick] + sep * np.sin(pa) / np.cos(np.radians(dec[pick]))) % 360
    return np.concatenate([ra, ra2]), np.concatenate([dec, dec2])


#: The QZO cuts of the default configuration.
CUTS = {
    "qso_probability": 0.9,
    "mag_cut_slope": 80,
    "mag_cut_intercept": 20.375,
    "in_training_set_column": True,
    "label_distance_column": True,
    "calibrated_columns": True,
}
#: A calibration (rule ``calibrate``'s JSON) that leaves the ZTF model's probabilities as they
#: are and divides the ZTF + WISE model's QSO odds by 10.
CALIBRATION = {
    "models": {
        "ztf": {"ratio": [1.0, 1.0, 1.0]},
        "ztf_wise": {"ratio": [1.0, 0.1, 1.0]},
    }
}


def catalog_rows(**columns) -> pd.DataFrame:
    """Rows with the catalog's probability, duplicate, magnitude and n_obs columns: a QSO by
    both models unless ``columns`` say otherwise."""
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


def write_config(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config))
    return path


def real_data_config(tmp_path, lightcurves, **extra) -> Path:
    """A config for real (non-simulated) inputs, with small catalogs made beside them: one
    source on every ZTF object, with the columns each catalog needs (values made up)."""
    table = pq.read_table(
        DATA / "ztf_dr5_field202_rc61_sample.parquet", columns=["objra", "objdec"]
    )
    n = table.num_rows
    catalogs = {}
    for name in ("allwise", "ps1", "gaia", "sdss"):
        columns = {
            "RA": table.column(0).cast(pa.float64()),
            "DEC": table.column(1).cast(pa.float64()),
        }
        for col in catalog_columns(name):
            columns[col] = np.full(n, 15.0)
        if name == "allwise":
            columns["ph_qual"] = np.full(n, "AABU")
        if name == "sdss":
            columns |= {"SPECOBJID": np.arange(n), "CLASS": np.full(n, "QSO"), "ZWARNING": 0}
        path = tmp_path / f"{name}.parquet"
        pq.write_table(pa.table(pd.DataFrame(columns)), path)
        catalogs[name] = {"path": str(path), "ra": "RA", "dec": "DEC"}
    return write_config(
        tmp_path / "real.yaml",
        {
            "inputs": {"ztf_lightcurves": lightcurves},
            "catalogs": catalogs,
            "simulation": {"enabled": False},
            **extra,
        },
    )
