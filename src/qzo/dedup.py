"""Duplicate flagging: an object loses to any neighbour within the radius that has more nights.

Ties in the number of nights go to the smaller objectid (the larger one is flagged), so the
result is deterministic. Run per shard over the shard's objects plus its margin, the answer equals
an all-sky search as long as the margin is at least the radius.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree


def unit_vectors(ra_deg, dec_deg) -> np.ndarray:
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    cd = np.cos(dec)
    return np.stack([cd * np.cos(ra), cd * np.sin(ra), np.sin(dec)], axis=1)


def chord(radius_arcsec: float) -> float:
    """Chord length on the unit sphere for an angular radius (exact)."""
    return 2 * np.sin(np.radians(radius_arcsec / 3600) / 2)


def neighbour_pairs(ra, dec, radius_arcsec: float) -> np.ndarray:
    """All ordered pairs (i, j), i ≠ j, closer than the radius: shape (n_pairs, 2)."""
    if len(ra) < 2:
        return np.empty((0, 2), dtype=np.int64)
    tree = cKDTree(unit_vectors(ra, dec))
    pairs = tree.query_pairs(chord(radius_arcsec), output_type="ndarray").astype(np.int64)
    return np.concatenate([pairs, pairs[:, ::-1]])


def flag_duplicates(
    objects: pd.DataFrame, margin: pd.DataFrame, radius_arcsec: float
) -> pd.DataFrame:
    """``is_duplicate``, ``duplicate_of`` (the best neighbour, −1 if none) and ``n_neighbours`` for
    each row of ``objects``; ``margin`` rows (neighbouring shards') only act as neighbours.

    Both frames need ``objectid, ra, dec, n_obs``.
    """
    cols = ["objectid", "ra", "dec", "n_obs"]
    both = pd.concat([objects[cols], margin[cols]], ignore_index=True)
    oid = both["objectid"].to_numpy()
    n_obs = both["n_obs"].to_numpy()
    pairs = neighbour_pairs(both["ra"].to_numpy(), both["dec"].to_numpy(), radius_arcsec)
    pairs = pairs[pairs[:, 0] < len(objects)]
    i, j = pairs[:, 0], pairs[:, 1]
    loses = (n_obs[j] > n_obs[i]) | ((n_obs[j] == n_obs[i]) & (oid[j] < oid[i]))
    n = len(objects)
    out = pd.DataFrame(
        {
            "objectid": objects["objectid"].to_numpy(),
            "is_duplicate": np.zeros(n, dtype=bool),
            "duplicate_of": np.full(n, -1, dtype=np.int64),
            "n_neighbours": np.bincount(i, minlength=n).astype(np.int32),
        }
    )
    if loses.any():
        li, lj = i[loses], j[loses]
        # The best neighbour: most nights, then smallest objectid.
        order = np.lexsort((oid[lj], -n_obs[lj], li))
        li, lj = li[order], lj[order]
        first = np.concatenate([[True], li[1:] != li[:-1]])
        out.loc[li[first], "is_duplicate"] = True
        out.loc[li[first], "duplicate_of"] = oid[lj[first]]
    return out
