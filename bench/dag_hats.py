"""Benchmark `dag_hats`: wall time of `snakemake -n` on a HATS light-curve input of 12,288
partitions (every order-5 pixel; ``QZO_BENCH_DAG_SHARDS`` sets another count), with a margin
cache: the shards are planned from ``partition_info.csv`` while the workflow is parsed, so the
dry run lists every job at once (no checkpoint). Also the time one cluster job spends before its
script starts (parse, plan from the metadata, plan one shard job).

Target: issue 15, under 60 s for 12,288 partitions.
"""

from __future__ import annotations

import os
from pathlib import Path

from qzo.io.hats_input import COLLECTION_PROPERTIES

from .common import workdir, write_result
from .dag import bench_shards, dry_run, one_job_seconds, write_config

N_PARTITIONS = int(os.environ.get("QZO_BENCH_DAG_SHARDS", 12_288))
ROWS_PER_PARTITION = 500_000


def write_fake_collection(root: Path, n: int) -> None:
    """A HATS collection's metadata and empty partition files (a dry run reads no data):
    catalog ``lc`` and margin cache ``lc_10arcs`` on ``n`` partitions."""
    shards = bench_shards(n)
    for name, extra in (("lc", ""), ("lc_10arcs", "hats_margin_threshold=10.0\n")):
        catalog = root / name
        catalog.mkdir(parents=True)
        lines = ["Norder,Dir,Npix,num_rows"]
        for order, npix in zip(shards.order, shards.npix, strict=True):
            folder = catalog / "dataset" / f"Norder={order}/Dir={npix // 10000 * 10000}/Npix={npix}"
            folder.mkdir(parents=True)
            (folder / "part0.snappy.parquet").touch()
            lines.append(f"{order},{npix // 10000 * 10000},{npix},{ROWS_PER_PARTITION}")
        (catalog / "partition_info.csv").write_text("\n".join(lines) + "\n")
        (catalog / "properties").write_text(f"obs_collection={name}\nhats_npix_suffix=/\n{extra}")
    (root / COLLECTION_PROPERTIES).write_text(
        "obs_collection=lc\nhats_primary_table_url=lc\nall_margins=lc_10arcs\n"
        "default_margin=lc_10arcs\n"
    )


def main() -> dict:
    work = workdir("dag_hats")
    write_fake_collection(work / "hats", N_PARTITIONS)
    write_config(work, str(work / "hats"), partition={"max_rows_per_shard": 1_000_000})
    wall, jobs, parse = dry_run(work, N_PARTITIONS)
    shard = bench_shards(N_PARTITIONS).names[N_PARTITIONS // 2]
    return write_result(
        "dag_hats",
        "snakemake -n wall time, HATS input",
        wall,
        "s",
        n_partitions=N_PARTITIONS,
        jobs=jobs,
        parse_seconds=round(parse, 2),
        one_job_seconds=round(one_job_seconds(work, shard), 2),
    )


if __name__ == "__main__":
    main()
