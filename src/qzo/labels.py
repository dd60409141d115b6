"""The spectroscopic training set: SDSS specObj × ZTF, cleaned, matched and split.

SDSS rows with ZWARNING ∉ {0, 16} and exact positional repeats are dropped (counted); each SDSS
object takes the ZTF light curve with the most nights within the radius (ties: smaller
objectid); the split is stratified by class and grouped by sky position (friends of friends),
so repeat spectra of one source never straddle train and test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .hashrng import hashed_uniform
from .healpix import healpix_29
from .zones import neighbour_pairs

SDSS_CLASSES = {"GALAXY": 0, "QSO": 1, "STAR": 2}
GOOD_ZWARNING = (0, 16)


def clean_specobj(sdss: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Good redshifts only, one row per plug position; returns (rows, drops by reason)."""
    cls = sdss["CLASS"].astype(str).str.strip().str.upper()
    bad_z = ~sdss["ZWARNING"].isin(GOOD_ZWARNING)
    unknown = ~cls.isin(list(SDSS_CLASSES))
    ok = sdss[~bad_z & ~unknown].assign(CLASS=cls[~bad_z & ~unknown])
    ok = ok.sort_values("SPECOBJID", kind="stable")
    repeat = ok.duplicated(["PLUG_RA", "PLUG_DEC"], keep="first")
    drops = {
        "zwarning": int(bad_z.sum()),
        "unknown_class": int((unknown & ~bad_z).sum()),
        "positional_repeat": int(repeat.sum()),
    }
    return ok[~repeat].reset_index(drop=True), drops


def match_longest(sdss: pd.DataFrame, ztf: pd.DataFrame, radius_arcsec: float) -> pd.DataFrame:
    """For each SDSS row, the ZTF object within the radius with most nights (ties: smaller id).

    ``ztf`` needs objectid, ra, dec, n_obs. Returns one row per matched SDSS row: SPECOBJID,
    CLASS, Z, objectid, n_obs.
    """
    n = len(sdss)
    ra = np.concatenate([sdss["PLUG_RA"].to_numpy(), ztf["ra"].to_numpy()])
    dec = np.concatenate([sdss["PLUG_DEC"].to_numpy(), ztf["dec"].to_numpy()])
    pairs = neighbour_pairs(ra, dec, radius_arcsec)
    pairs = pairs[(pairs[:, 0] < n) & (pairs[:, 1] >= n)]
    s, z = pairs[:, 0], pairs[:, 1] - n
    n_obs = ztf["n_obs"].to_numpy()[z]
    oid = ztf["objectid"].to_numpy()[z]
    order = np.lexsort((oid, -n_obs, s))
    s, z = s[order], z[order]
    first = np.concatenate([[True], s[1:] != s[:-1]]) if len(s) else np.array([], bool)
    out = sdss.iloc[s[first]][["SPECOBJID", "CLASS", "Z"]].reset_index(drop=True)
    out["objectid"] = ztf["objectid"].to_numpy()[z[first]]
    out["n_obs"] = ztf["n_obs"].to_numpy()[z[first]]
    return out


def resolve_matches(matches: pd.DataFrame) -> pd.DataFrame:
    """One ZTF light curve per SDSS object across shards (an SDSS object in a margin can be
    matched in two shards): the longest wins, then the smaller objectid; and one SDSS label per
    ZTF object (several spectra can match one light curve): the first SPECOBJID."""
    m = matches.sort_values(["SPECOBJID", "n_obs", "objectid"], ascending=[True, False, True])
    m = m.drop_duplicates("SPECOBJID", keep="first")
    return m.drop_duplicates("objectid", keep="first").reset_index(drop=True)


def grouped_assignment(
    ra, dec, labels, fractions, group_radius_arcsec: float = 2.0, seed: int = 0
) -> np.ndarray:
    """A part index (0 … len(fractions) − 1) per row, in proportions ``fractions`` within each
    class.

    Rows closer than ``group_radius_arcsec`` (chained: friends of friends) form one group, which
    goes to one part, so repeat spectra of a source never straddle two parts. Groups are
    ordered by a hash of their position (seeded), so the assignment is random but reproducible.
    """
    n = len(labels)
    pairs = neighbour_pairs(ra, dec, group_radius_arcsec)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    n_groups, group = connected_components(graph, directed=False)
    anchor = np.full(n_groups, np.iinfo(np.int64).max)
    np.minimum.at(anchor, group, healpix_29(ra, dec))
    key = hashed_uniform(anchor[group], seed)
    labels = np.asarray(labels)
    part = np.zeros(n, dtype=np.int64)
    bounds = np.cumsum(fractions) / np.sum(fractions)
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        order = rows[np.lexsort((group[rows], key[rows]))]
        # A group's rows sit together in this order: its first position decides its part.
        position = (np.arange(len(order)) + 0.5) / len(order)
        _, first, inverse = np.unique(group[order], return_index=True, return_inverse=True)
        cut = position[first][inverse]
        part[order] = np.minimum(np.searchsorted(bounds, cut, side="right"), len(bounds) - 1)
    return part


def grouped_split(
    ra, dec, labels, fractions=(0.8, 0.1, 0.1), group_radius_arcsec: float = 2.0, seed: int = 0
) -> np.ndarray:
    """'train' / 'val' / 'test' per row (:func:`grouped_assignment` with three parts)."""
    part = grouped_assignment(ra, dec, labels, fractions, group_radius_arcsec, seed)
    return np.array(["train", "val", "test"])[part]


def stacking_folds(
    ra, dec, labels, split, n_folds: int, group_radius_arcsec: float = 2.0, seed: int = 0
) -> np.ndarray:
    """Cross-fitting fold (0 … n_folds − 1) of each train-split row, −1 elsewhere: grouped and
    stratified like the split, with a seed of its own."""
    fold = np.full(len(labels), -1, dtype=np.int64)
    train = np.flatnonzero(np.asarray(split) == "train")
    if len(train):
        fold[train] = grouped_assignment(
            np.asarray(ra)[train],
            np.asarray(dec)[train],
            np.asarray(labels)[train],
            np.ones(n_folds),
            group_radius_arcsec,
            seed + 1,
        )
    return fold
