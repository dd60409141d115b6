"""Benchmark `dag`: wall time of `snakemake -n` with a shard list of 12,288 shards (every
order-5 pixel), and the time one job spends parsing the workflow (each SLURM job re-parses it).

Target (issue 3): under 60 s.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from qzo.healpix import ShardSet
from qzo.workflow import run_snakemake

from .common import workdir, write_result

REPO = Path(__file__).resolve().parents[1]
ORDER, N_BATCHES = 5, 400


def make_workdir() -> Path:
    """A working directory whose partition plan (the checkpoint's output) lists 12,288 shards."""
    work = workdir("dag")
    lc = work / "lc.parquet"
    pq.write_table(pa.table({"objectid": pa.array([1], pa.int64())}), lc)
    cat = work / "cat.parquet"
    pq.write_table(pa.table({"ra": [1.0], "dec": [1.0]}), cat)
    spec = {"path": str(cat), "ra": "ra", "dec": "dec"}
    config = {
        "inputs": {"ztf_lightcurves": str(lc)},
        "simulation": {"enabled": False},
        "catalogs": {k: spec for k in ("allwise", "ps1", "gaia", "sdss")},
    }
    (work / "config.yaml").write_text(yaml.safe_dump(config))
    npix = 12 * 4**ORDER
    shards = ShardSet(np.full(npix, ORDER), np.arange(npix))
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


def main() -> dict:
    work = make_workdir()
    wall, proc = snakemake(work, "-n", "--quiet", "rules")
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    jobs = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            jobs[parts[0]] = int(parts[1])
    if jobs.get("shard") != 12 * 4**ORDER:
        raise AssertionError(f"dry run did not list every shard: {jobs}")
    parse, _ = snakemake(work, "--list-rules")
    return write_result(
        "dag",
        "snakemake -n wall time",
        wall,
        "s",
        n_shards=12 * 4**ORDER,
        jobs=jobs,
        parse_seconds=round(parse, 2),
        target="< 60 s",
    )


if __name__ == "__main__":
    main()
