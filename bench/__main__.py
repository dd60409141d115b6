"""Run benchmarks: `python -m bench [name ...]` (default: all)."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = [
    "simulate",
    "preprocess",
    "dedup",
    "partition",
    "dag",
    "astromer_cpu",
    "astromer_train",
    "crossmatch",
    "xgb_infer",
]


def main(argv: list[str]) -> None:
    names = argv or BENCHMARKS
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; known: {BENCHMARKS}")
    for name in names:
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
