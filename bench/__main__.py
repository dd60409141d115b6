"""Run benchmarks: `python -m bench [name ...]` (default: all)."""

from __future__ import annotations

import importlib
import subprocess
import sys

BENCHMARKS = [
    "simulate",
    "preprocess",
    "dedup",
    "partition",
    "dag",
    "dag_hats",
    "hats_read",
    "gathers",
    "astromer_cpu",
    "astromer_gpu",
    "astromer_train",
    "crossmatch",
    "xgb_infer",
    "label_support",
    "pipeline",
]

#: Run by name only (`python -m bench gpu_check`, `make gpu-check`), not by `make bench`.
ON_REQUEST = ["gpu_check"]


def main(argv: list[str]) -> None:
    names = argv or BENCHMARKS
    unknown = sorted(set(names) - set(BENCHMARKS) - set(ON_REQUEST))
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; known: {BENCHMARKS + ON_REQUEST}")
    if len(names) == 1:
        importlib.import_module(f"bench.{names[0]}").main()
        return
    # One process per benchmark: a TensorFlow or thread-pool state left by one must not
    # skew the next (astromer_cpu measured 7.6x after astromer_gpu in one process, 12x alone).
    for name in names:
        subprocess.run([sys.executable, "-m", "bench", name], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
