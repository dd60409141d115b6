"""Benchmark `hats_read`: light curves per second per core read and validated from one HATS
partition (IRSA's layout: the epochs in the nested column ``lightcurve``), against reading the
same objects from the per-field DR files they came from, in the same run: interleaved
file/HATS pairs, median ratio and its spread.

Both paths read every column the shard job needs and return the same canonical table; the
HATS path also drops other bands (none here) and sorts by ``_healpix_29``.
"""

from __future__ import annotations

import time

import numpy as np

from qzo.config.settings import PartitionSettings
from qzo.io.hats_input import hats_input_plan
from qzo.io.hats_lightcurves import read_hats_lightcurves
from qzo.io.ztf_files import read_lightcurve_file
from qzo.sky.hats_convert import files_to_hats

from .common import WORK, bench_sky, median_pair, write_result

N_SOURCES = 85_000  # ≈ 110k light curves in one cap: one partition
REPEATS = 5


def main() -> dict:
    sky, manifest = bench_sky(N_SOURCES)
    files = [sky / f for f in manifest["ztf_files"]]
    hats_dir = WORK / f"hats_read_{N_SOURCES}"
    settings = PartitionSettings(
        max_rows_per_shard=10**9,
        highest_order=10,
        lowest_order=0,
        margin_arcsec=10.0,
        files_per_batch=64,
    )
    if not (hats_dir / "collection.properties").exists():
        files_to_hats(files, hats_dir, settings, 10.0)
    plan = hats_input_plan(hats_dir, settings.__dict__)
    partitions = [hats_dir / "ztf_lc" / s["partition"] for s in plan["sources"]]

    def read_files() -> int:
        return sum(read_lightcurve_file(f).num_rows for f in files)

    def read_hats() -> int:
        return sum(read_hats_lightcurves(p, "g")[0].num_rows for p in partitions)

    n = read_files()
    if read_hats() != n:
        raise AssertionError("the HATS copy holds other objects than the files")
    pairs = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        read_files()
        t_files = time.perf_counter() - t0
        t0 = time.perf_counter()
        read_hats()
        t_hats = time.perf_counter() - t0
        pairs.append((t_files, t_hats))
    t_files_all, t_hats_all = np.array(pairs).T
    ratios = t_files_all / t_hats_all
    best, spread = median_pair(ratios)
    return write_result(
        "hats_read",
        "light curves per second per core, HATS partition",
        n / t_hats_all[best],
        "light curves/s",
        baseline=n / t_files_all[best],
        n_objects=n,
        n_files=len(files),
        n_partitions=len(partitions),
        **spread,
        pairs_seconds=[[round(a, 3), round(b, 3)] for a, b in pairs],
        baseline_method="the same objects read and validated from their per-field DR files",
    )


if __name__ == "__main__":
    main()
