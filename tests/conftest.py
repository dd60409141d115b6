"""Shared test fixtures: paths to the real-data fixtures and a small simulated sky."""

from __future__ import annotations

from pathlib import Path

import pytest

from qzo.config import load_config
from qzo.simulate import simulate_sky

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures"


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
