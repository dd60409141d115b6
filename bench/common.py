"""Shared benchmark plumbing: machine description, peak memory, result files."""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
from pathlib import Path

import numpy as np

#: Where results and scratch files go (``QZO_BENCH_RESULTS`` / ``QZO_BENCH_WORK`` move them, e.g.
#: for a test that runs a benchmark without touching the recorded results).
RESULTS = Path(os.environ.get("QZO_BENCH_RESULTS", Path(__file__).parent / "results"))
WORK = Path(os.environ.get("QZO_BENCH_WORK", Path(__file__).parent / "work"))
REPO = Path(__file__).resolve().parents[1]


def machine() -> str:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores, {mem_gib:.0f} GiB, Python {platform.python_version()}"


def peak_rss_mb() -> float:
    """Peak resident memory of this process or any finished child (MB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def workdir(name: str) -> Path:
    path = WORK / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def write_result(
    name: str,
    metric: str,
    value: float,
    unit: str,
    baseline: float | None = None,
    peak_mb: float | None = None,
    **extra,
) -> dict:
    """Write bench/results/<name>.json; ratio = value / baseline (> 1 is better)."""
    result = {
        "name": name,
        "metric": metric,
        "value": round(value, 3),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, 3),
        "ratio": None if not baseline else round(value / baseline, 2),
        "peak_rss_mb": round(peak_mb if peak_mb is not None else peak_rss_mb(), 1),
        "machine": machine(),
        **extra,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return result


def median_pair(ratios, digits: int = 2) -> tuple[int, dict]:
    """For interleaved baseline/candidate pairs (the baseline swings between runs on these
    machines): the index of the pair whose ratio is the median (the upper middle one for an
    even count) and ``ratio_median``, ``ratio_min``, ``ratio_max`` to record with the result."""
    values = np.asarray(ratios, dtype=float)
    spread = {
        "ratio_median": round(float(np.median(values)), digits),
        "ratio_min": round(float(values.min()), digits),
        "ratio_max": round(float(values.max()), digits),
    }
    return int(np.argsort(values)[len(values) // 2]), spread


def bench_sky(n_sources: int, radius_deg: float = 1.0, seed: int = 3) -> tuple[Path, dict]:
    """A simulated sky in one cap (dense, like a real ZTF region), written once and reused."""
    from qzo.config import load_config
    from qzo.simulate.run import SimulatedSkyPaths, simulate_sky

    out = WORK / f"sky_{n_sources}_{radius_deg}_{seed}"
    manifest = out / "manifest.json"
    if not manifest.exists():
        shutil.rmtree(out, ignore_errors=True)
        sim = {
            "n_sources": n_sources,
            "seed": seed,
            "regions": [{"ra": 185.0, "dec": 30.0, "radius": radius_deg}],
        }
        cfg = load_config(overrides={"simulation": sim})["simulation"]
        paths = SimulatedSkyPaths.in_directory(out)
        simulate_sky(cfg, paths, workers=os.cpu_count() or 1, progress=False)
    return out, json.loads(manifest.read_text())


def encoder_settings() -> dict:
    """The two light-curve models the projections compare: ``run``, the embedded default's
    (``config/config.yaml``), and ``paper``, the schema's (the paper's encoder size)."""
    from qzo.config import AstromerSettings, default_config, load_config

    run = load_config(REPO / "config" / "config.yaml")["astromer"]
    return {
        "run": AstromerSettings.from_config(run),
        "paper": AstromerSettings.from_config(default_config()["astromer"]),
    }
