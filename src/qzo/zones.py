"""Sky neighbour searches with declination zones (Gray et al. 2007), vectorised.

Points are sorted by (zone, RA) with zones one radius high; the candidates of a point lie in RA
windows of its own and the adjacent zones, found by binary search, wrapped across RA = 0/360 and
widened to the whole circle near a pole; candidates are then cut on the exact chord distance.
:func:`neighbour_pairs` searches one catalogue against itself, :func:`cross_pairs` one
catalogue against another; both have no Python loop over points.
"""

from __future__ import annotations

import numpy as np


def unit_vectors(ra_deg, dec_deg) -> np.ndarray:
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    cd = np.cos(dec)
    return np.stack([cd * np.cos(ra), cd * np.sin(ra), np.sin(dec)], axis=1)


def chord(radius_arcsec: float) -> float:
    """Chord length on the unit sphere for an angular radius (exact)."""
    return 2 * np.sin(np.radians(radius_arcsec / 3600) / 2)


def chord_to_arcsec(d2: np.ndarray) -> np.ndarray:
    """Angular separation (arcsec) from squared chord lengths."""
    return np.degrees(2 * np.arcsin(np.sqrt(d2) / 2)) * 3600


def _ra_half_width(dec_deg: np.ndarray, r_deg: float) -> np.ndarray:
    """Largest RA difference (deg) of two points closer than r, one at dec and the other within
    2r in declination; 360 where the window is the whole circle (near a pole).

    From the haversine: sin(Δα/2) ≤ sin(r/2) / cos(|δ| + 2r).
    """
    edge = np.radians(np.abs(dec_deg) + 2 * r_deg)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.sin(np.radians(r_deg) / 2) / np.cos(np.minimum(edge, np.pi / 2))
    half = np.degrees(2 * np.arcsin(np.clip(x, 0, 1))) * 1.000001 + 1e-12
    return np.where((edge >= np.pi / 2) | (x >= 1) | (half >= 180), 360.0, half)


def _expand(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (i, j) with a[i] ≤ j < b[i]."""
    counts = np.maximum(b - a, 0)
    i = np.repeat(np.arange(len(a)), counts)
    starts = np.repeat(a - (np.cumsum(counts) - counts), counts)
    return i, starts + np.arange(len(i))


class ZoneIndex:
    """A catalogue sorted by (declination zone, RA) for searches within ``radius_arcsec``."""

    def __init__(self, ra, dec, radius_arcsec: float):
        self.r = radius_arcsec / 3600.0
        self.radius_arcsec = radius_arcsec
        ra = np.mod(np.asarray(ra, dtype=np.float64), 360.0)
        dec = np.asarray(dec, dtype=np.float64)
        zone = self.zone_of(dec)
        self.order = np.argsort(zone * 360.0 + ra, kind="stable")
        self.ra, self.dec, self.zone = ra[self.order], dec[self.order], zone[self.order]
        self.key = self.zone * 360.0 + self.ra
        self.vec = unit_vectors(self.ra, self.dec)

    def zone_of(self, dec) -> np.ndarray:
        return np.floor((np.asarray(dec) + 90.0) / self.r).astype(np.int64)

    def candidates(self, ra, dec, zone_steps, first=None):
        """(query, row) candidate pairs, rows in sorted order: the RA windows of each query in
        the zones ``zone + dz``; ``first`` (per query) bounds rows from below for dz = 0."""
        half = _ra_half_width(dec, self.r)
        whole = half >= 360.0
        lo, hi = ra - half, ra + half
        everyone = np.arange(len(ra))
        wrap_low = np.flatnonzero(~whole & (lo < 0))
        wrap_high = np.flatnonzero(~whole & (hi > 360.0))
        windows = [
            (
                everyone,
                np.where(whole, 0.0, np.maximum(lo, 0.0)),
                np.where(whole, 360.0, np.minimum(hi, 360.0)),
            ),
            (wrap_low, lo[wrap_low] + 360.0, np.full(len(wrap_low), 360.0)),
            (wrap_high, np.zeros(len(wrap_high)), hi[wrap_high] - 360.0),
        ]
        zone = self.zone_of(dec)
        found_q, found_j = [], []
        for dz in zone_steps:
            for who, w_lo, w_hi in windows:
                base = (zone[who] + dz) * 360.0
                a = np.searchsorted(self.key, base + w_lo, side="left")
                b = np.searchsorted(self.key, base + w_hi, side="right")
                if dz == 0 and first is not None:
                    a = np.maximum(a, first[who])
                k, j = _expand(a, b)
                q = who[k]
                keep = self.zone[j] == zone[q] + dz  # a window's end can spill into the next zone
                found_q.append(q[keep])
                found_j.append(j[keep])
        return np.concatenate(found_q), np.concatenate(found_j)


def neighbour_pairs(ra, dec, radius_arcsec: float) -> np.ndarray:
    """All ordered pairs (i, j), i ≠ j, closer than the radius: shape (n_pairs, 2)."""
    index = ZoneIndex(ra, dec, radius_arcsec)
    # The sorted points search themselves forward only (own zone from the next point on, and
    # the next zone), so each unordered pair is found once and no point meets itself.
    i, j = index.candidates(index.ra, index.dec, (0, 1), first=np.arange(len(index.ra)) + 1)
    d2 = np.sum((index.vec[i] - index.vec[j]) ** 2, axis=1)
    close = d2 <= chord(radius_arcsec) ** 2
    i, j = index.order[i[close]], index.order[j[close]]
    return np.stack([np.concatenate([i, j]), np.concatenate([j, i])], axis=1)


def cross_pairs(ra1, dec1, ra2, dec2, radius_arcsec: float):
    """Every pair (i in catalogue 1, j in catalogue 2) closer than the radius:
    (i, j, separation in arcsec), ordered by i, then separation, then j."""
    index = ZoneIndex(ra2, dec2, radius_arcsec)
    ra1 = np.mod(np.asarray(ra1, dtype=np.float64), 360.0)
    dec1 = np.asarray(dec1, dtype=np.float64)
    i, j = index.candidates(ra1, dec1, (-1, 0, 1))
    d2 = np.sum((unit_vectors(ra1, dec1)[i] - index.vec[j]) ** 2, axis=1)
    close = d2 <= chord(radius_arcsec) ** 2
    i, j, d2 = i[close], index.order[j[close]], d2[close]
    order = np.lexsort((j, d2, i))
    return i[order], j[order], chord_to_arcsec(d2[order])


def nearest_within(ra1, dec1, ra2, dec2, radius_arcsec: float):
    """For each point of catalogue 1, the nearest point of catalogue 2 within the radius:
    (row in catalogue 2 or −1, separation in arcsec or NaN). Ties go to the smaller row."""
    i, j, sep = cross_pairs(ra1, dec1, ra2, dec2, radius_arcsec)
    first = np.ones(len(i), dtype=bool)
    first[1:] = i[1:] != i[:-1]
    match = np.full(len(np.asarray(ra1)), -1, dtype=np.int64)
    separation = np.full(len(match), np.nan)
    match[i[first]] = j[first]
    separation[i[first]] = sep[first]
    return match, separation
