"""Benchmark `crossmatch`: objects matched per second (nearest AllWISE-like counterpart within
1″) on ≈1M simulated ZTF objects, against astropy ``match_to_catalog_sky`` + a separation cut
on the same data, as interleaved pairs (median ratio and spread); the matches must be identical.
Target (issue 5): ≥ 5× the baseline.
"""

from __future__ import annotations

import time

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord

from qzo.simulate.sky import offset_positions
from qzo.sky.zones import nearest_within

from .common import median_pair, write_result
from .dedup import simulated_objects

RADIUS = 1.0
REPEATS = 5


def counterpart_catalog(ra, dec, rng, fraction=0.5):
    """A catalog holding a counterpart (0–1.5″ away) for ``fraction`` of the objects, plus as
    many unrelated sources over the same area."""
    pick = rng.random(len(ra)) < fraction
    r, d = offset_positions(
        ra[pick], dec[pick], rng.uniform(0, 1.5, pick.sum()), rng.uniform(0, 2 * np.pi, pick.sum())
    )
    shuffle = rng.permutation(len(ra))[: pick.sum()]
    jitter = rng.normal(0, 20 / 3600, (2, len(shuffle)))
    return (
        np.concatenate([r, (ra[shuffle] + jitter[0]) % 360]),
        np.concatenate([d, np.clip(dec[shuffle] + jitter[1], -90, 90)]),
    )


def main() -> dict:
    rng = np.random.default_rng(0)
    df = simulated_objects()
    ra, dec = df["ra"].to_numpy(), df["dec"].to_numpy()
    cat_ra, cat_dec = counterpart_catalog(ra, dec, rng)
    pairs = []
    for _ in range(REPEATS):  # interleaved pairs: the ratio counts as the median pair
        t0 = time.perf_counter()
        match, _ = nearest_within(ra, dec, cat_ra, cat_dec, RADIUS)
        t_ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        idx, sep, _ = SkyCoord(ra * u.deg, dec * u.deg).match_to_catalog_sky(
            SkyCoord(cat_ra * u.deg, cat_dec * u.deg)
        )
        ref = np.where(sep.arcsec <= RADIUS, idx, -1)
        pairs.append((t_ours, time.perf_counter() - t0))
        if not np.array_equal(match, ref):
            raise AssertionError(f"matches differ from astropy on {(match != ref).sum()} objects")
    ratios = np.array([b / a for a, b in pairs])
    mid, spread = median_pair(ratios)
    t_ours, t_ref = pairs[mid]
    n = len(ra)
    return write_result(
        "crossmatch",
        "objects matched per second (nearest within 1 arcsec)",
        n / t_ours,
        "objects/s",
        baseline=n / t_ref,
        n_objects=n,
        n_catalog=len(cat_ra),
        n_matched=int((match >= 0).sum()),
        seconds=round(t_ours, 3),
        baseline_seconds=round(t_ref, 3),
        baseline_method="astropy SkyCoord.match_to_catalog_sky + separation cut",
        identical_matches=True,
        pairs_seconds=[[round(a, 3), round(b, 3)] for a, b in pairs],
        **spread,
        target="median ratio >= 5",
    )


if __name__ == "__main__":
    main()
