"""HEALPix NESTED pixels in numpy alone: the pixel of a sky position, and a pixel's neighbours.

The same arithmetic as HEALPix C++ (Górski et al. 2005), which healpy runs, step for step in
double precision, so the results equal healpy's ``ang2pix(..., nest=True, lonlat=True)`` and
``get_all_neighbours(..., nest=True)`` (tests/unit/sky/test_nested.py). Every shard job assigns
positions to pixels and margins; importing healpy costs about 2 s of CPU per process (it pulls in
matplotlib and astropy), more than a small shard's own work, so the per-shard path uses these.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

_INV_HALF_PI = 0.6366197723675813430755350534900574
_TWO_PI = 2 * np.pi
_TWO_THIRDS = 2.0 / 3.0
#: Colatitudes this close to a pole use sin θ for the polar-cap edge index, as HEALPix does
#: (with its own rounded π for the south pole).
_NEAR_NORTH_POLE = 0.01
_NEAR_SOUTH_POLE = 3.14159 - 0.01


def _spread_table() -> np.ndarray:
    """Every 16-bit value with its bit i moved to bit 2i."""
    v = np.arange(1 << 16, dtype=np.int64)
    out = np.zeros_like(v)
    for bit in range(16):
        out |= ((v >> bit) & 1) << (2 * bit)
    return out


_SPREAD = _spread_table()


def _spread_bits(v: np.ndarray) -> np.ndarray:
    """Bit i of each value moved to bit 2i (non-negative values below 2^32)."""
    return _SPREAD[v & 0xFFFF] | (_SPREAD[v >> 16] << 32)


def _compress_bits(v: np.ndarray) -> np.ndarray:
    """The even bits of each value packed together (bit 2i moved to bit i)."""
    v = v.astype(np.uint64) & np.uint64(0x5555555555555555)
    for shift, mask in (
        (1, 0x3333333333333333),
        (2, 0x0F0F0F0F0F0F0F0F),
        (4, 0x00FF00FF00FF00FF),
        (8, 0x0000FFFF0000FFFF),
        (16, 0x00000000FFFFFFFF),
    ):
        v = (v | (v >> np.uint64(shift))) & np.uint64(mask)
    return v.astype(np.int64)


def _fmodulo(v: np.ndarray, m: float) -> np.ndarray:
    """``v`` modulo ``m`` in [0, m), as HEALPix's ``fmodulo``."""
    out = np.where(v < m, v, np.fmod(v, m))
    negative = v < 0
    wrapped = np.fmod(v[negative], m) + m
    out[negative] = np.where(wrapped == m, 0.0, wrapped)
    return out


def ang2pix_nested(order: int, ra: ArrayLike, dec: ArrayLike) -> np.ndarray:
    """NESTED pixel index (int64) at ``order`` (0-29) of positions in degrees.

    Raises ValueError for a position that is not finite or a declination outside [-90°, 90°].
    """
    lon = np.atleast_1d(np.asarray(ra, dtype=np.float64))
    lat = np.atleast_1d(np.asarray(dec, dtype=np.float64))
    lon, lat = np.broadcast_arrays(lon, lat)
    theta = np.pi / 2.0 - np.radians(lat)
    phi = np.radians(lon)
    if not (np.isfinite(theta).all() and np.isfinite(phi).all()):
        raise ValueError("positions that are not finite")
    if np.any((theta < 0) | (theta > np.pi)):
        raise ValueError("declination outside [-90, 90] degrees")
    theta = theta.ravel()
    phi = _fmodulo(phi.ravel(), _TWO_PI)  # the longitude wrapped first, as healpy does

    nside = 1 << order
    z = np.cos(theta)
    za = np.abs(z)
    tt = _fmodulo(phi * _INV_HALF_PI, 4.0)
    face = np.empty(len(z), np.int64)
    ix = np.empty(len(z), np.int64)
    iy = np.empty(len(z), np.int64)

    eq = za <= _TWO_THIRDS
    temp1 = nside * (0.5 + tt[eq])
    temp2 = nside * (z[eq] * 0.75)
    jp = (temp1 - temp2).astype(np.int64)  # ascending edge line
    jm = (temp1 + temp2).astype(np.int64)  # descending edge line
    ifp, ifm = jp >> order, jm >> order
    face[eq] = np.where(ifp == ifm, ifp | 4, np.where(ifp < ifm, ifp, ifm + 8))
    ix[eq] = jm & (nside - 1)
    iy[eq] = nside - (jp & (nside - 1)) - 1

    polar = ~eq
    tt_p, za_p, z_p, theta_p = tt[polar], za[polar], z[polar], theta[polar]
    ntt = np.minimum(3, tt_p.astype(np.int64))
    tp = tt_p - ntt
    near_pole = (theta_p < _NEAR_NORTH_POLE) | (theta_p > _NEAR_SOUTH_POLE)
    tmp = np.where(
        (za_p < 0.99) | ~near_pole,
        nside * np.sqrt(3 * (1 - za_p)),
        nside * np.sin(theta_p) / np.sqrt((1.0 + za_p) / 3.0),
    )
    jp = np.minimum((tp * tmp).astype(np.int64), nside - 1)  # increasing edge line
    jm = np.minimum(((1.0 - tp) * tmp).astype(np.int64), nside - 1)  # decreasing edge line
    north = z_p >= 0
    face[polar] = np.where(north, ntt, ntt + 8)
    ix[polar] = np.where(north, nside - jm - 1, jp)
    iy[polar] = np.where(north, nside - jp - 1, jm)

    return ((face << (2 * order)) + (_spread_bits(ix) | (_spread_bits(iy) << 1))).reshape(lon.shape)


#: The neighbour directions in healpy's order (SW, W, NW, N, NE, E, SE, S) as steps in a face's
#: (x, y) coordinates.
_STEP_X = np.array([-1, -1, 0, 1, 1, 1, 0, -1])
_STEP_Y = np.array([0, 1, 1, 1, 0, -1, -1, -1])
#: Where a step leaves the face, by (y side, x side) each in {-1: below 0, 0: inside, 1: beyond
#: the edge}: the face it enters, for each of the 12 base faces (-1: a corner with no pixel) ...
_NEIGHBOUR_FACE = np.array(
    [
        [[8, 9, 10, 11, -1, -1, -1, -1, 10, 11, 8, 9], [5, 6, 7, 4, 8, 9, 10, 11, 9, 10, 11, 8],
         [-1, -1, -1, -1, 5, 6, 7, 4, -1, -1, -1, -1]],
        [[4, 5, 6, 7, 11, 8, 9, 10, 11, 8, 9, 10], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
         [1, 2, 3, 0, 0, 1, 2, 3, 5, 6, 7, 4]],
        [[-1, -1, -1, -1, 7, 4, 5, 6, -1, -1, -1, -1], [3, 0, 1, 2, 3, 0, 1, 2, 4, 5, 6, 7],
         [2, 3, 0, 1, -1, -1, -1, -1, 0, 1, 2, 3]],
    ]
)  # fmt: skip
#: ... and how its coordinates turn, for the north, equatorial and south rows of faces
#: (bit 1: x mirrored, bit 2: y mirrored, bit 4: x and y swapped).
_NEIGHBOUR_TURN = np.array(
    [
        [[0, 0, 3], [0, 0, 6], [0, 0, 0]],
        [[0, 0, 5], [0, 0, 0], [5, 0, 0]],
        [[0, 0, 0], [6, 0, 0], [3, 0, 0]],
    ]
)


def neighbours_nested(order: int, pix: ArrayLike) -> np.ndarray:
    """The 8 neighbours (SW, W, NW, N, NE, E, SE, S; shape (8, n)) of NESTED pixels at
    ``order``; -1 where a pixel at a base-face corner has only 7."""
    pix = np.asarray(pix, dtype=np.int64).ravel()
    nside = 1 << order
    face = pix >> (2 * order)
    local = pix & ((1 << (2 * order)) - 1)
    x = _compress_bits(local)[None, :] + _STEP_X[:, None]
    y = _compress_bits(local >> 1)[None, :] + _STEP_Y[:, None]
    side_x = (x >= nside).astype(np.int64) - (x < 0)
    side_y = (y >= nside).astype(np.int64) - (y < 0)
    x, y = x - side_x * nside, y - side_y * nside
    target = _NEIGHBOUR_FACE[side_y + 1, side_x + 1, face[None, :]]
    turn = _NEIGHBOUR_TURN[side_y + 1, side_x + 1, (face >> 2)[None, :]]
    x = np.where(turn & 1, nside - x - 1, x)
    y = np.where(turn & 2, nside - y - 1, y)
    x, y = np.where(turn & 4, y, x), np.where(turn & 4, x, y)
    nested = (target << (2 * order)) + (_spread_bits(x) | (_spread_bits(y) << 1))
    return np.where(target >= 0, nested, -1)
