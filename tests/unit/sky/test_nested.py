"""The numpy HEALPix NESTED functions give healpy's results exactly: random positions at every
scale, the poles, the polar-cap boundary |z| = 2/3, the RA seam and every base face's edges."""

import healpy as hp
import numpy as np
import pytest

from qzo.sky.nested import ang2pix_nested, neighbours_nested

ORDERS = (0, 1, 4, 9, 17, 29)


def _positions():
    rng = np.random.default_rng(5)
    n = 200_000
    ra = rng.uniform(-400, 800, n)  # outside [0, 360) too: the longitude wraps
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    cap = np.degrees(np.arcsin(2 / 3))
    near_pole = 90 - np.degrees(0.01)  # where HEALPix switches to sin θ for the cap edge
    edge_dec = [90, -90, 89.9999999, -89.9999999, cap, -cap, 0, near_pole, -near_pole, 45]
    edge_ra = [0, 45, 90, 180, 270, 360, -0.0, 359.9999999999, 720, -90]
    grid_ra, grid_dec = np.meshgrid(edge_ra, edge_dec)
    polar = 90 - rng.uniform(0, 1, 20_000) * rng.choice([1, -1], 20_000)
    return (
        np.r_[ra, grid_ra.ravel(), rng.uniform(0, 360, 20_000)],
        np.r_[dec, grid_dec.ravel(), np.sign(polar) * np.minimum(np.abs(polar), 90)],
    )


@pytest.mark.parametrize("order", ORDERS)
def test_pixels_of_positions_equal_healpy(order):
    ra, dec = _positions()
    expected = hp.ang2pix(2**order, ra, dec, nest=True, lonlat=True)
    got = ang2pix_nested(order, ra, dec)
    assert got.dtype == np.int64
    mismatches = np.flatnonzero(got != expected)
    assert len(mismatches) == 0, list(zip(ra[mismatches[:5]], dec[mismatches[:5]], strict=True))


def test_the_shape_of_the_input_is_kept():
    ra, dec = np.array([[10.0, 20.0], [30.0, 40.0]]), np.array([[1.0, -1.0], [60.0, -80.0]])
    expected = hp.ang2pix(2**29, ra, dec, nest=True, lonlat=True)
    assert np.array_equal(ang2pix_nested(29, ra, dec), expected)
    assert ang2pix_nested(29, [], []).shape == (0,)  # an empty shard
    assert neighbours_nested(29, []).shape == (8, 0)


@pytest.mark.parametrize(
    ("ra", "dec", "message"),
    [(np.nan, 0.0, "not finite"), (10.0, np.inf, "not finite"), (10.0, 90.001, "outside")],
)
def test_positions_off_the_sphere_are_refused(ra, dec, message):
    with pytest.raises(ValueError, match=message):
        ang2pix_nested(29, [1.0, ra], [1.0, dec])


@pytest.mark.parametrize("order", range(7))
def test_neighbours_of_every_pixel_equal_healpy(order):
    pixels = np.arange(12 * 4**order)
    got = neighbours_nested(order, pixels)
    assert got.shape == (8, len(pixels))
    assert np.array_equal(got, hp.get_all_neighbours(2**order, pixels, nest=True))
    # Three faces meet at 8 of the faces' corners (|z| = 2/3, φ = k·90°); the 3 pixels touching
    # each of them have 7 neighbours.
    assert (got == -1).sum() == 24


@pytest.mark.parametrize("order", (13, 29))
def test_neighbours_at_face_edges_and_inside_equal_healpy(order):
    nside = 2**order
    rng = np.random.default_rng(order)
    along = rng.integers(0, nside, 500)
    edge = np.r_[np.zeros(500), np.full(500, nside - 1), [0, 0, nside - 1, nside - 1]]
    x = np.r_[edge[:1000], along, along, [0, nside - 1, 0, nside - 1]].astype(np.int64)
    y = np.r_[along, along, edge[:1000], [0, 0, nside - 1, nside - 1]].astype(np.int64)
    faces = np.arange(12)[:, None]
    within = sum(((x >> b) & 1) << (2 * b) | ((y >> b) & 1) << (2 * b + 1) for b in range(order))
    edges = ((faces << (2 * order)) + within).ravel()
    pixels = np.r_[edges, rng.integers(0, 12 * 4**order, 10_000)]
    expected = hp.get_all_neighbours(nside, pixels, nest=True)
    assert np.array_equal(neighbours_nested(order, pixels), expected)
