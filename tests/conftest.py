"""Shared test fixtures: paths to the real-data fixtures and a small simulated sky."""

from __future__ import annotations

from pathlib import Path

import pytest

from qzo.config import load_config
from qzo.simulate import simulate_sky
from qzo.workflow import run_snakemake

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures"
TINY = REPO / "tests" / "config" / "tiny.yaml"


def run_workflow(workdir: Path, *args, configfile: Path = TINY, **kwargs):
    """The workflow in ``workdir`` on the tiny config (or ``configfile``); the finished process."""
    return run_snakemake(REPO / "Snakefile", workdir, configfile, *args, **kwargs)


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


def fixture_path(name: str) -> Path:
    """A real-data fixture from ../shared/fixtures; fails (not skips) with the path if absent."""
    path = FIXTURES / name
    if not path.exists():
        pytest.fail(
            f"real-data fixture missing: {path} (tests expect ../shared/ beside the checkout)"
        )
    return path


@pytest.fixture(scope="session")
def ztf_sample() -> Path:
    return fixture_path("ztf_dr5_field202_rc61_sample.parquet")


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


@pytest.fixture(scope="session")
def small_sky(tmp_path_factory) -> tuple[Path, dict]:
    """A simulated sky of 4,000 sources, written once per test session."""
    out = tmp_path_factory.mktemp("sky")
    manifest = simulate_sky(small_sky_config(), out, workers=2, progress=False)
    return out, manifest
