"""Duplicate flags per shard (with margins) equal a brute-force all-sky search."""

import healpy as hp
import numpy as np
import pandas as pd
import pytest

from qzo.lightcurves.dedup import flag_duplicates
from qzo.simulate.sky import offset_positions
from qzo.sky.healpix import healpix_29, histogram, margin_targets, plan_shards
from qzo.testing.reference import duplicates_reference


def sharded_flags(df: pd.DataFrame, max_rows: int, margin: float = 2.0, order: int = 10):
    """Run flag_duplicates shard by shard, each with its margin, as the workflow does."""
    h = healpix_29(df["ra"], df["dec"])
    shards = plan_shards(histogram(h, order), max_rows)
    own = shards.lookup(h)
    rows, targets = margin_targets(h, own, shards, margin)
    out = []
    for s in np.unique(own):
        flags = flag_duplicates(df[own == s], df.iloc[rows[targets == s]], 1.0)
        out.append(flags)
    flags = pd.concat(out).set_index("objectid").loc[df["objectid"]]
    return flags, len(np.unique(own))


def _corner(ra, dec, order=10):
    """The corner of the order-10 pixel holding (ra, dec) nearest to it: pixels meet there."""
    pix = hp.ang2pix(2**order, ra, dec, nest=True, lonlat=True)
    corners = hp.vec2ang(hp.boundaries(2**order, pix, step=1, nest=True).T, lonlat=True)
    target = hp.ang2vec(ra, dec, lonlat=True)
    best = np.argmax(hp.boundaries(2**order, pix, step=1, nest=True).T @ target)
    return float(corners[0][best]), float(corners[1][best])


def _pair(ra, dec, sep_arcsec, pa_deg):
    """Two points sep_arcsec apart, straddling the pixel corner nearest to (ra, dec)."""
    ra, dec = _corner(ra, dec)
    half = np.array([sep_arcsec / 2])
    r1, d1 = offset_positions(np.array([ra]), np.array([dec]), half, np.radians([pa_deg]))
    r2, d2 = offset_positions(np.array([ra]), np.array([dec]), half, np.radians([pa_deg + 180]))
    return [(float(r2[0]), float(d2[0])), (float(r1[0]), float(d1[0]))]


def constructed_cases():
    """(ra, dec, n_obs, objectid, expected is_duplicate) for hand-made configurations."""
    rows = []

    def add(points, n_obs, flags):
        base = 10**14 + len(rows) * 10
        for k, ((r, d), n, f) in enumerate(zip(points, n_obs, flags, strict=True)):
            rows.append((r, d, n, base + k, f))

    add(_pair(0.0000001, 10.0, 0.5, 270), [30, 40], [True, False])  # across RA = 0/360
    add(_pair(120.0, 89.99995, 0.8, 200), [50, 25], [False, True])  # at the north pole
    add(_pair(300.0, -89.9999, 0.6, 10), [20, 21], [True, False])  # at the south pole
    add(_pair(45.0, 0.0, 0.9, 45), [33, 33], [False, True])  # tie: larger objectid loses
    add(_pair(46.0, 0.0, 1.2, 45), [33, 90], [False, False])  # 1.2″ apart: not neighbours
    # A triple in a line, 0.7″ steps: the ends are 1.4″ apart and do not see each other.
    c_ra, c_dec = _corner(50.0, 5.0)
    r, d = offset_positions(
        np.array([c_ra] * 3),
        np.array([c_dec] * 3),
        np.array([0.7, 0.0, 0.7]),
        np.radians([225, 0, 45]),
    )
    add(list(zip(r, d, strict=True)), [25, 60, 40], [True, False, True])
    # A triple within 1″ of each other: only the one with most nights survives.
    add(
        _pair(60.0, 30.0, 0.3, 30) + _pair(60.0, 30.0, 0.5, 150)[1:],
        [45, 44, 46],
        [True, True, False],
    )
    return pd.DataFrame(rows, columns=["ra", "dec", "n_obs", "objectid", "expected"])


@pytest.mark.parametrize("max_rows", [1, 1000])
def test_constructed_cases_across_shard_borders(max_rows):
    df = constructed_cases()
    flags, n_shards = sharded_flags(df, max_rows)
    assert list(flags["is_duplicate"]) == list(df["expected"])
    ref = duplicates_reference(df["ra"], df["dec"], df["n_obs"], df["objectid"])
    assert list(ref) == list(df["expected"])
    if max_rows == 1:
        assert n_shards >= len(df) - 2  # every group is split across shards


def test_best_neighbour_is_recorded():
    df = constructed_cases()
    flags = flag_duplicates(df, df.iloc[:0], 1.0).set_index("objectid")
    triple = df.iloc[-3:]
    winner = triple.loc[triple["n_obs"].idxmax(), "objectid"]
    assert set(flags.loc[triple["objectid"], "duplicate_of"]) == {winner, -1}


def test_random_sky_equals_brute_force():
    rng = np.random.default_rng(5)
    n = 30000
    ra = np.concatenate([rng.uniform(-1, 1, n) % 360, rng.uniform(0, 360, n)])
    dec = np.concatenate([rng.uniform(-1, 1, n), rng.uniform(89, 90, n)])
    pick = rng.integers(0, len(ra), 10000)
    r2, d2 = offset_positions(
        ra[pick], dec[pick], rng.uniform(0, 1.5, 10000), rng.uniform(0, 2 * np.pi, 10000)
    )
    df = pd.DataFrame({"ra": np.concatenate([ra, r2]), "dec": np.concatenate([dec, d2])})
    df["n_obs"] = rng.integers(20, 30, len(df))  # many ties
    df["objectid"] = rng.permutation(len(df)).astype(np.int64) + 10**12
    flags, n_shards = sharded_flags(df, max_rows=800)
    ref = duplicates_reference(df["ra"], df["dec"], df["n_obs"], df["objectid"])
    assert n_shards > 50
    assert ref.sum() > 3000
    assert np.array_equal(flags["is_duplicate"].to_numpy(), ref)
