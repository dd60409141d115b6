"""Benchmark `gathers`: the sky-wide predictions check (every preprocessed object predicted
exactly once: read every group's ``objectid``, count, test uniqueness) on Dask
(``dask.dataframe`` on a ``LocalCluster`` of one worker process per core) against one process
as ``astromer_predictions`` runs it, in the same run: interleaved pairs on 200 group files of
50,000 objects (10 M ids), median ratio (> 1: Dask faster) and spread; and once each, the check
as it was before (``read_table`` per file, NumPy's hashing ``np.unique``) and as it is now (group
by group against the shards' objects, bounded memory: ``check_one_each``).

Issue 15 asks for Dask where it makes a gather faster; this measures whether it does.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from qzo.arrays.unique import sorted_unique
from qzo.io.ids import check_one_each, read_ids

from .common import median_pair, workdir, write_result

N_FILES, PER_FILE, REPEATS = 200, 50_000, 3


def single_process(files: list[str]) -> tuple[int, int]:
    """The global form of the check in one process: every id, sorted."""
    ids = read_ids(files)
    return len(ids), len(sorted_unique(ids))


def per_group(files: list[str], objects: list[str]) -> int:
    """The check as ``astromer_predictions`` makes it: group by group against the shards."""
    return check_one_each(files, objects, [1] * len(files))


def before(files: list[str]) -> tuple[int, int]:
    """The check as it was: ``read_table`` per file, NumPy 2.4's hashing ``np.unique``."""
    ids = np.concatenate(
        [pq.read_table(p, columns=["objectid"]).column(0).to_numpy() for p in files]
    )
    return len(ids), len(np.unique(ids))


def on_dask(files: list[str], client) -> tuple[int, int]:
    import dask.dataframe as dd

    ids = dd.read_parquet(files, columns=["objectid"])["objectid"]
    n, distinct = client.compute([ids.count(), ids.nunique()], sync=True)
    return int(n), int(distinct)


def main() -> dict:
    from dask.distributed import Client, LocalCluster

    work = workdir("gathers")
    rng = np.random.default_rng(0)
    ids = rng.permutation(N_FILES * PER_FILE * 4)[: N_FILES * PER_FILE].astype(np.int64)
    files, objects = [], []
    for i in range(N_FILES):
        path, shard = work / f"group{i}.parquet", work / f"shard{i}.parquet"
        chunk = ids[i * PER_FILE : (i + 1) * PER_FILE]
        pq.write_table(pa.table({"objectid": chunk, "p": rng.random(PER_FILE)}), path)
        pq.write_table(pa.table({"objectid": rng.permutation(chunk)}), shard)
        files.append(str(path))
        objects.append(str(shard))
    cores = os.cpu_count() or 1
    with LocalCluster(n_workers=cores, threads_per_worker=1, processes=True) as cluster:
        with Client(cluster) as client:
            assert single_process(files) == on_dask(files, client) == (len(ids), len(ids))
            pairs = []
            for _ in range(REPEATS):
                t0 = time.perf_counter()
                single_process(files)
                t_single = time.perf_counter() - t0
                t0 = time.perf_counter()
                on_dask(files, client)
                pairs.append((t_single, time.perf_counter() - t0))
            t0 = time.perf_counter()
            before(files)
            t_before = time.perf_counter() - t0
            t0 = time.perf_counter()
            assert per_group(files, objects) == len(ids)
            t_per_group = time.perf_counter() - t0
    single, dask_t = np.array(pairs).T
    ratios = single / dask_t
    mid, spread = median_pair(ratios)
    return write_result(
        "gathers",
        "predictions check: ids per second, Dask LocalCluster",
        len(ids) / dask_t[mid],
        "ids/s",
        baseline=len(ids) / single[mid],
        n_files=N_FILES,
        n_ids=len(ids),
        workers=cores,
        **spread,
        pairs_seconds=[[round(a, 3), round(b, 3)] for a, b in pairs],
        baseline_method="one process: every id read (ParquetFile) and sorted",
        seconds_before_this_change=round(t_before, 2),
        seconds_per_group_check=round(t_per_group, 2),
    )


if __name__ == "__main__":
    main()
