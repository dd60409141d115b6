"""Benchmark `partition`: rows and MB of input light curves per second through plan → split →
reduce (the map/reduce of the partition rules, run here in one process per step)."""

from __future__ import annotations

import os
import shutil
import time

from qzo.config import PartitionSettings, default_config
from qzo.sky.partition import plan_partition, reduce_shard, split_batch

from .common import bench_sky, workdir, write_result

N_SOURCES = 85_000


def main() -> dict:
    sky, manifest = bench_sky(N_SOURCES)
    files = [str(sky / f) for f in manifest["ztf_files"]]
    size_mb = sum(os.path.getsize(f) for f in files) / 2**20
    settings = PartitionSettings.from_config(
        {**default_config()["partition"], "max_rows_per_shard": 10_000, "files_per_batch": 16}
    )
    out = workdir("partition")
    t0 = time.perf_counter()
    shards, plan = plan_partition(files, settings, workers=os.cpu_count() or 1)
    t_plan = time.perf_counter() - t0
    dirs = []
    for b, batch in enumerate(plan["batches"]):
        dirs.append(out / f"batch{b}")
        split_batch(batch, shards, settings.margin_arcsec, dirs[-1])
    t_split = time.perf_counter() - t0 - t_plan
    rows = 0
    for i, name in enumerate(shards.names):
        rows += reduce_shard(
            i, dirs, out / "main" / f"{name}.parquet", out / "margin" / f"{name}.parquet"
        )["main_rows"]
    wall = time.perf_counter() - t0
    shutil.rmtree(out)
    assert rows == plan["n_rows"]
    return write_result(
        "partition",
        "rows per second",
        rows / wall,
        "rows/s",
        n_rows=rows,
        n_shards=len(shards),
        input_mb=round(size_mb, 1),
        mb_per_s=round(size_mb / wall, 2),
        seconds=round(wall, 2),
        plan_s=round(t_plan, 2),
        split_s=round(t_split, 2),
        reduce_s=round(wall - t_plan - t_split, 2),
    )


if __name__ == "__main__":
    main()
