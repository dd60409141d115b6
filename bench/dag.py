"""Benchmark `dag`: wall time of `snakemake -n` with a shard list of 50,000 shards (order-6
pixels, some split to order 7; ``QZO_BENCH_DAG_SHARDS`` sets another count), and the time one
cluster job spends before its script starts: every SLURM job runs Snakemake again, which parses
the workflow, reads the plan and plans that one job (measured here as a dry run of one shard job,
the way the job step names it).

Targets: issue 3, under 60 s for 12,288 shards; issue 6 reports the 50,000-shard numbers.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from qzo.sky.healpix import ShardSet
from qzo.testing.snakemake import run_snakemake

from .common import workdir, write_result

REPO = Path(__file__).resolve().parents[1]
N_SHARDS = int(os.environ.get("QZO_BENCH_DAG_SHARDS", 50_000))
N_BATCHES = max(1, N_SHARDS // 125)


def bench_shards(n: int = N_SHARDS) -> ShardSet:
    """``n`` shards (at least 12): the pixels of the finest order k with 12·4^k ≤ n, the first
    ones split into their four children of order k + 1 (12,288 shards: every order-5 pixel;
    50,000: order 6, some split to order 7)."""
    k = int(np.floor(np.log(n / 12) / np.log(4)))
    base = 12 * 4**k
    split = -(-(n - base) // 3)  # each split adds three shards
    children = np.arange(4 * split)
    orders = np.r_[np.full(len(children), k + 1), np.full(base - split, k)]
    pixels = np.r_[children, np.arange(split, base)]
    return ShardSet(orders[:n], pixels[:n])


def write_config(work: Path, lightcurves: str, **extra) -> None:
    """``work/config.yaml`` for real-data inputs ``lightcurves``, with one-row catalogs."""
    cat = work / "cat.parquet"
    pq.write_table(pa.table({"ra": [1.0], "dec": [1.0]}), cat)
    spec = {"path": str(cat), "ra": "ra", "dec": "dec"}
    config = {
        "inputs": {"ztf_lightcurves": lightcurves},
        "simulation": {"enabled": False},
        "catalogs": {k: spec for k in ("allwise", "ps1", "gaia", "sdss")},
        **extra,
    }
    (work / "config.yaml").write_text(yaml.safe_dump(config))


def job_counts(stdout: str) -> dict[str, int]:
    """The job table of a ``snakemake -n --quiet rules`` run."""
    jobs = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            jobs[parts[0]] = int(parts[1])
    return jobs


def make_workdir() -> Path:
    """A working directory whose partition plan (the checkpoint's output) lists the shards."""
    work = workdir("dag")
    lc = work / "lc.parquet"
    pq.write_table(pa.table({"objectid": pa.array([1], pa.int64())}), lc)
    write_config(work, str(lc))
    shards = bench_shards()
    npix = len(shards)
    per_batch = npix // N_BATCHES + 1
    plan = {
        "n_rows": npix * 1000,
        "settings": {"margin_arcsec": 5.0},
        "shards": shards.names,
        "shard_rows": [1000] * npix,
        "batches": [[str(lc)] for _ in range(N_BATCHES)],
        "batch_shards": [
            list(range(b * per_batch, min(npix, (b + 2) * per_batch))) for b in range(N_BATCHES)
        ],
    }
    inputs = work / "results" / "inputs"
    inputs.mkdir(parents=True)
    pd.DataFrame({"path": [str(lc)], "n_objects": [npix * 1000]}).to_parquet(
        inputs / "ztf_inventory.parquet"
    )
    (inputs / "ztf_inventory.json").write_text("{}")
    (work / "results" / "partition").mkdir()
    (work / "results" / "partition" / "plan.json").write_text(json.dumps(plan))
    return work


def snakemake(work: Path, *args) -> tuple[float, object]:
    t0 = time.perf_counter()
    proc = run_snakemake(REPO / "Snakefile", work, work / "config.yaml", *args, cores=1)
    return time.perf_counter() - t0, proc


def dry_run(work: Path, n_shards: int) -> tuple[float, dict[str, int], float]:
    """``snakemake -n`` in ``work``: its wall time and job counts (every one of the ``n_shards``
    shards must be listed), and the time to parse the workflow alone (``--list-rules``)."""
    wall, proc = snakemake(work, "-n", "--quiet", "rules")
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    jobs = job_counts(proc.stdout)
    if jobs.get("shard") != n_shards:
        raise AssertionError(f"dry run did not list every shard: {jobs}")
    parse, _ = snakemake(work, "--list-rules")
    return wall, jobs, parse


def one_job_seconds(work: Path, shard: str, repeats: int = 3) -> float:
    """Median wall time of Snakemake planning shard job ``shard`` alone (its inputs in place),
    as a cluster job does before running the rule: start, parse, read the plan, plan the job."""
    summary = work / "results/hats/catalogs/summary.json"
    summary.parent.mkdir(parents=True, exist_ok=True)
    summary.write_text("{}")
    args = (
        *("--target-jobs", f"shard:shard={shard}", "--allowed-rules", "shard"),
        *("--nolock", "--ignore-incomplete", "--max-inventory-time", "0", "-n"),
    )
    times = []
    for _ in range(repeats):
        seconds, proc = snakemake(work, *args)
        if proc.returncode != 0 or "shard " not in proc.stdout:
            raise RuntimeError(proc.stdout[-2000:] + proc.stderr[-3000:])
        times.append(seconds)
    return float(np.median(times))


def main() -> dict:
    work = make_workdir()
    wall, jobs, parse = dry_run(work, N_SHARDS)
    plan = json.loads((work / "results/partition/plan.json").read_text())
    index = len(plan["shards"]) // 2
    for b, members in enumerate(plan["batch_shards"]):  # the shard job's inputs
        if index in members:
            (work / f"results/partition/pieces/batch{b}").mkdir(parents=True, exist_ok=True)
    return write_result(
        "dag",
        "snakemake -n wall time",
        wall,
        "s",
        n_shards=N_SHARDS,
        jobs=jobs,
        parse_seconds=round(parse, 2),
        one_job_seconds=round(one_job_seconds(work, plan["shards"][index]), 2),
    )


if __name__ == "__main__":
    main()
