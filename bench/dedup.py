"""Benchmark `dedup`: objects per second on ≥ 1M simulated objects, against astropy
``search_around_sky`` (the authors' method) on the same data; the flags must be identical.

Target (issue 3): ≥ 5× the baseline.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from qzo.config import load_config
from qzo.lightcurves.dedup import flag_duplicates
from qzo.simulate.run import _ztf_positions
from qzo.simulate.sky import sample_sources
from qzo.testing.reference import duplicates_reference

from .common import write_result


def simulated_objects(n_sources: int = 800_000, seed: int = 0) -> pd.DataFrame:
    """ZTF positions of the default sky's sources and of their duplicates (≈1.04M objects)."""
    cfg = load_config(overrides={"simulation": {"n_sources": n_sources}})["simulation"]
    rng = np.random.default_rng(seed)
    src = _ztf_positions(sample_sources(cfg, rng), cfg, rng)
    dup = src[src["is_duplicated"]]
    ra = np.concatenate([src["ztf_ra"], dup["dup_ra"]])
    dec = np.concatenate([src["ztf_dec"], dup["dup_dec"]])
    return pd.DataFrame(
        {
            "objectid": rng.permutation(len(ra)).astype(np.int64) + 10**14,
            "ra": ra,
            "dec": dec,
            "n_obs": rng.integers(20, 400, len(ra)),
        }
    )


def main() -> dict:
    df = simulated_objects()
    t0 = time.perf_counter()
    ours = flag_duplicates(df, df.iloc[:0], 1.0)["is_duplicate"].to_numpy()
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = duplicates_reference(df["ra"], df["dec"], df["n_obs"], df["objectid"], 1.0)
    t_ref = time.perf_counter() - t0
    if not np.array_equal(ours, ref):
        raise AssertionError(
            f"flags differ from search_around_sky on {(ours != ref).sum()} objects"
        )
    n = len(df)
    return write_result(
        "dedup",
        "objects flagged per second",
        n / t_ours,
        "objects/s",
        baseline=n / t_ref,
        n_objects=n,
        n_flagged=int(ours.sum()),
        seconds=round(t_ours, 3),
        baseline_seconds=round(t_ref, 3),
        baseline_method="astropy search_around_sky",
        identical_flags=True,
        target="ratio >= 5",
    )


if __name__ == "__main__":
    main()
