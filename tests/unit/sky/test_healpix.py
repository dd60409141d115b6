"""Shard arithmetic and margins against brute force, poles and the RA = 0/360 seam included."""

import healpy as hp
import numpy as np
import pytest
from conftest import pole_and_seam_sky

from qzo.sky.healpix import (
    MAX_ORDER,
    ShardSet,
    healpix_29,
    histogram,
    margin_order,
    margin_targets,
    plan_shards,
    shard_relpath,
)
from qzo.sky.zones import neighbour_pairs


def test_healpix_29_matches_healpy():
    ra, dec = np.array([0.0, 359.9999, 12.3]), np.array([89.99, -45.0, 0.0])
    expected = hp.ang2pix(2**29, ra, dec, nest=True, lonlat=True)
    assert np.array_equal(healpix_29(ra, dec), expected)


def test_plan_is_balanced_and_covers_every_row():
    rng = np.random.default_rng(0)
    ra, dec = pole_and_seam_sky(rng, 20000)
    h = healpix_29(ra, dec)
    shards = plan_shards(histogram(h, 9), max_rows=2000)
    own = shards.lookup(h)
    assert (own >= 0).all()
    counts = np.bincount(own, minlength=len(shards))
    assert counts.sum() == len(ra)
    assert counts.max() <= 2000 or (shards.order[counts > 2000] == 9).all()
    assert (counts > 0).all()  # no empty shards
    assert len(set(shards.order.tolist())) > 1  # adaptive: mixed orders
    # Non-overlapping ranges; a pixel's shard is its ancestor.
    assert np.all(shards.start[1:] >= shards.stop[:-1])
    i = own[0]
    assert h[0] >> (2 * (MAX_ORDER - shards.order[i])) == shards.npix[i]


def test_plan_splits_full_pixels_and_keeps_sparse_ones():
    hist = np.zeros(12 * 4**2, dtype=np.int64)
    hist[0:16] = 10  # base pixel 0: 160 rows → split into order-1 pixels of 40
    hist[16] = 5  # base pixel 1: 5 rows → stays at order 0
    shards = plan_shards(hist, max_rows=50)
    assert list(zip(shards.order.tolist(), shards.npix.tolist(), strict=True)) == [
        (1, 0),
        (1, 1),
        (1, 2),
        (1, 3),
        (0, 1),
    ]


def test_shard_paths_follow_hats():
    assert shard_relpath(5, 12345) == "Norder=5/Dir=10000/Npix=12345"
    assert shard_relpath(0, 3) == "Norder=0/Dir=0/Npix=3"
    assert ShardSet.from_frame(ShardSet(np.array([1]), np.array([4])).to_frame()).npix[0] == 4


@pytest.mark.parametrize("margin", [2.0, 5.0])
def test_margins_hold_every_cross_border_neighbour(margin):
    rng = np.random.default_rng(1)
    ra, dec = pole_and_seam_sky(rng)
    h = healpix_29(ra, dec)
    shards = plan_shards(histogram(h, 10), max_rows=3000)
    own = shards.lookup(h)
    rows, targets = margin_targets(h, own, shards, margin)
    assert not np.any(targets == own[rows])
    pairs = neighbour_pairs(ra, dec, margin)
    cross = pairs[own[pairs[:, 0]] != own[pairs[:, 1]]]
    assert len(cross) > 100  # the test data does straddle borders, poles and the seam
    need = set(zip(cross[:, 0].tolist(), own[cross[:, 1]].tolist(), strict=True))
    have = set(zip(rows.tolist(), targets.tolist(), strict=True))
    assert need <= have


def test_margin_order_is_coarse_enough():
    from qzo.sky.healpix import pixel_width_arcsec

    for margin in (2.0, 5.0, 30.0):
        k = margin_order(margin)
        assert pixel_width_arcsec(k) >= 2 * margin > pixel_width_arcsec(k + 1)
