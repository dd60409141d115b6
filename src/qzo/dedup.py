"""Duplicate flagging: an object loses to any neighbour within the radius that has more nights.

Ties in the number of nights go to the smaller objectid (the larger one is flagged), so the
result is deterministic. Run per shard over the shard's objects plus its margin, the answer equals
an all-sky search as long as the margin is at least the radius.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def unit_vectors(ra_deg, dec_deg) -> np.ndarray:
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    cd = np.cos(dec)
    return np.stack([cd * np.cos(ra), cd * np.sin(ra), np.sin(dec)], axis=1)


def chord(radius_arcsec: float) -> float:
    """Chord length on the unit sphere for an angular radius (exact)."""
    return 2 * np.sin(np.radians(radius_arcsec / 3600) / 2)


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


def neighbour_pairs(ra, dec, radius_arcsec: float) -> np.ndarray:
    """All ordered pairs (i, j), i ≠ j, closer than the radius: shape (n_pairs, 2).

    The zones algorithm (Gray et al. 2007): declination zones one radius high, points sorted by
    (zone, RA); each point's candidates lie in RA windows of its own and the next zone, found by
    binary search, wrapped across RA = 0/360 and widened to the whole circle near a pole. The
    candidates are then cut on the exact chord distance. No Python loop over points.
    """
    ra = np.mod(np.asarray(ra, dtype=np.float64), 360.0)
    dec = np.asarray(dec, dtype=np.float64)
    n = len(ra)
    r = radius_arcsec / 3600.0
    zone = np.floor((dec + 90.0) / r).astype(np.int64)
    key = zone * 360.0 + ra  # orders by zone, then RA
    order = np.argsort(key, kind="stable")
    key, ra_s, zone_s = key[order], ra[order], zone[order]
    half = _ra_half_width(dec[order], r)
    whole = half >= 360.0
    lo, hi = ra_s - half, ra_s + half
    # The RA window; where it crosses RA = 0 or 360, the wrapped part is searched too.
    everyone = np.arange(n)
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
    found_i, found_j = [], []
    for dz in (0, 1):
        for who, w_lo, w_hi in windows:
            base = (zone_s[who] + dz) * 360.0
            a = np.searchsorted(key, base + w_lo, side="left")
            b = np.searchsorted(key, base + w_hi, side="right")
            if dz == 0:
                a = np.maximum(a, who + 1)  # each pair once; never a point with itself
            k, j = _expand(a, b)
            i = who[k]
            keep = zone_s[j] == zone_s[i] + dz  # a window's end can spill into the next zone
            found_i.append(i[keep])
            found_j.append(j[keep])
    i, j = np.concatenate(found_i), np.concatenate(found_j)
    vec = unit_vectors(ra_s, dec[order])
    d2 = np.sum((vec[i] - vec[j]) ** 2, axis=1)
    close = d2 <= chord(radius_arcsec) ** 2
    i, j = order[i[close]], order[j[close]]
    # Each unordered pair was found once (dz = 0 only looks forward; windows are disjoint).
    return np.stack([np.concatenate([i, j]), np.concatenate([j, i])], axis=1)


def flag_duplicates(
    objects: pd.DataFrame, margin: pd.DataFrame, radius_arcsec: float
) -> pd.DataFrame:
    """``is_duplicate``, ``duplicate_of`` (the best neighbour, −1 if none) and ``n_neighbours`` for
    each row of ``objects``; ``margin`` rows (neighbouring shards') only act as neighbours.

    Both frames need ``objectid, ra, dec, n_obs``.
    """
    n = len(objects)

    def col(name):
        return np.concatenate([objects[name].to_numpy(), margin[name].to_numpy()])

    oid, n_obs = col("objectid"), col("n_obs")
    pairs = neighbour_pairs(col("ra"), col("dec"), radius_arcsec)
    i, j = pairs[:, 0], pairs[:, 1]
    keep = i < n
    i, j = i[keep], j[keep]
    loses = (n_obs[j] > n_obs[i]) | ((n_obs[j] == n_obs[i]) & (oid[j] < oid[i]))
    is_dup = np.zeros(n, dtype=bool)
    dup_of = np.full(n, -1, dtype=np.int64)
    if loses.any():
        li, lj = i[loses], j[loses]
        # The best neighbour: most nights, then smallest objectid.
        order = np.lexsort((oid[lj], -n_obs[lj], li))
        li, lj = li[order], lj[order]
        first = np.concatenate([[True], li[1:] != li[:-1]])
        is_dup[li[first]] = True
        dup_of[li[first]] = oid[lj[first]]
    return pd.DataFrame(
        {
            "objectid": objects["objectid"].to_numpy(),
            "is_duplicate": is_dup,
            "duplicate_of": dup_of,
            "n_neighbours": np.bincount(i, minlength=n).astype(np.int32),
        }
    )
