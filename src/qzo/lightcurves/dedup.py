"""Duplicate flagging: an object loses to any neighbour within the radius that has more nights.

Ties in the number of nights go to the smaller objectid (the larger one is flagged), so the
result is deterministic. Run per shard over the shard's objects plus its margin, the answer equals
an all-sky search as long as the margin is at least the radius.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qzo.sky.zones import neighbour_pairs


def flag_duplicates(
    objects: pd.DataFrame, margin: pd.DataFrame, radius_arcsec: float
) -> pd.DataFrame:
    """``is_duplicate``, ``duplicate_of`` (the best neighbour, −1 if none) and ``n_neighbours`` for
    each row of ``objects``; ``margin`` rows (neighbouring shards') only act as neighbours.

    Both frames need ``objectid, ra, dec, n_obs``.
    """
    n = len(objects)

    def col(name: str) -> np.ndarray:
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
