"""The QZO sky map shows the footprint it covers: zoomed regions for a small footprint (one
panel per region, a region across RA = 0 in one piece), a full-sky view for a large one."""

from __future__ import annotations

import healpy as hp
import numpy as np
import pytest

from qzo.config import default_config
from qzo.products.evaluate import SkyCounts
from qzo.products.figures import footprint_regions, sky_map

ORDER = 7


def cap(ra: float, dec: float, radius: float) -> np.ndarray:
    vec = hp.ang2vec(ra, dec, lonlat=True)
    return hp.query_disc(2**ORDER, vec, np.radians(radius), nest=True)


def counts_over(pixels: np.ndarray, qzo: dict[int, int]) -> SkyCounts:
    counts = SkyCounts({**default_config()["evaluate"], **default_config()["catalog"]}, None)
    counts.footprint = {int(p) for p in pixels}
    counts.sky = dict(qzo)
    return counts


def test_regions_are_connected_pixels_and_cross_the_ra_seam():
    seam, far = cap(0.0, 10.0, 1.0), cap(120.0, 50.0, 1.5)
    regions = footprint_regions(np.concatenate([seam, far]), ORDER)
    assert [len(r) for r in regions] == sorted([len(seam), len(far)], reverse=True)
    assert {frozenset(r.tolist()) for r in regions} == {frozenset(seam), frozenset(far)}


@pytest.mark.parametrize(
    ("pixels", "panels"),
    [
        (np.concatenate([cap(0.0, 10.0, 1.0), cap(120.0, 50.0, 1.5)]), 2),
        (np.arange(hp.order2npix(ORDER))[::3], 0),  # most of the sky: the full-sky view
    ],
)
def test_sky_map_is_zoomed_on_a_small_footprint(tmp_path, pixels, panels):
    counts = counts_over(pixels, {int(pixels[0]): 3, int(pixels[-1]): 1})
    path = tmp_path / "skymap.png"
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    assert sky_map(counts, path, ORDER) == panels
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert set(plt.get_fignums()) == before  # the figure was closed
