"""The simulated sky's dust: reddening per source, and what it does to magnitudes and colours."""

import numpy as np
import pandas as pd
import pytest

from qzo.simulate.extinction import (
    EXTINCTION_PER_EBV,
    colour_excess,
    dust_column,
    intrinsic_g_r,
    redden,
    reddening_at_distance,
    star_distances,
)

SLAB = {"ebv_pole": 0.03, "ebv_max": 3.0, "patchiness_dex": 0.0, "scale_height_kpc": 0.125}


def test_dust_column_is_a_cosecant_slab_capped_in_the_plane():
    b = np.array([90.0, -30.0, 5.0, 0.1, 0.0])
    column = dust_column(b, SLAB, np.random.default_rng(0))
    np.testing.assert_allclose(column, [0.03, 0.06, 0.03 / np.sin(np.radians(5.0)), 3.0, 3.0])
    patchy = dust_column(
        np.full(4000, 30.0), {**SLAB, "patchiness_dex": 0.15}, np.random.default_rng(0)
    )
    assert np.std(np.log10(patchy)) == pytest.approx(0.15, rel=0.05)
    assert np.median(patchy) == pytest.approx(0.06, rel=0.02)


def test_reddening_grows_with_distance_from_the_local_rate_to_the_column():
    column = np.array([0.06, 3.0])
    near = reddening_at_distance(np.array([1e-4, 1e-4]), column, SLAB)
    np.testing.assert_allclose(near, 1e-4 * 0.03 / 0.125, rtol=1e-3)  # 0.24 per kpc
    np.testing.assert_allclose(reddening_at_distance(np.array([1e4, 1e4]), column, SLAB), column)
    # At high latitude the sightline leaves the slab within a kpc; in the plane it does not.
    one_kpc = reddening_at_distance(np.array([1.0, 1.0]), column, SLAB)
    assert one_kpc[0] == pytest.approx(0.06, rel=0.02) and one_kpc[1] < 0.24


def test_star_distances_solve_the_distance_modulus_through_the_dust():
    mag = np.array([14.0, 20.5, 20.5, 20.5])
    abs_mag = np.array([5.0, 5.0, 0.0, 0.0])
    column = np.array([3.0, 3.0, 3.0, 0.04])
    d = star_distances(mag, abs_mag, column, SLAB)
    a_g = EXTINCTION_PER_EBV["g"] * reddening_at_distance(d, column, SLAB)
    np.testing.assert_allclose(abs_mag + 5 * np.log10(d * 100) + a_g, mag, atol=1e-9)
    # A faint giant in the plane is far and behind most of the column; at high latitude it is
    # in the halo, behind all of a thin one.
    assert d[2] > d[1] > d[0] and a_g[2] > 4.0
    assert d[3] > 100 and a_g[3] == pytest.approx(EXTINCTION_PER_EBV["g"] * 0.04)


def test_redden_dims_extragalactic_sources_and_only_reddens_stars():
    src = pd.DataFrame(
        {
            "class": pd.Categorical(["qso", "galaxy", "star", "star", "star"]),
            "var_type": ["drw", "constant", "constant", "constant", "lpv"],
            "gal_b": [30.0, -30.0, 30.0, 0.0, 0.0],
            "mag_g": [20.0, 19.0, 18.0, 20.5, 20.5],
            "g_r": [0.2, 0.8, 0.4, 1.2, 1.2],
        }
    )
    out = redden(src, SLAB, np.random.default_rng(1))
    a_g = EXTINCTION_PER_EBV["g"]
    np.testing.assert_allclose(out["ebv"][:2], 0.06)
    np.testing.assert_allclose(out["mag_g"], [20.0 + 0.06 * a_g, 19.0 + 0.06 * a_g, 18, 20.5, 20.5])
    np.testing.assert_allclose(out["g_r"] - src["g_r"], colour_excess(out["ebv"], "g", "r"))
    np.testing.assert_allclose(intrinsic_g_r(out), src["g_r"])
    stars = out.iloc[2:]
    np.testing.assert_allclose(
        stars["ebv"], reddening_at_distance(stars["distance_kpc"], [0.06, 3.0, 3.0], SLAB)
    )
    assert out["distance_kpc"][:2].isna().all()
    # The giant (a long-period variable) is farther and redder than the dwarf of its magnitude.
    assert out["distance_kpc"][4] > 5 * out["distance_kpc"][3]
    assert out["ebv"][4] > out["ebv"][3]
    assert colour_excess(1.0, "g", "w1") == pytest.approx(3.303 - 0.18)


def test_no_dust_leaves_the_sources_as_drawn():
    src = pd.DataFrame(
        {
            "class": pd.Categorical(["qso", "star"]),
            "var_type": ["drw", "lpv"],
            "gal_b": [1.0, 1.0],
            "mag_g": [20.0, 18.0],
            "g_r": [0.2, 1.2],
        }
    )
    out = redden(src, {**SLAB, "ebv_pole": 0.0}, np.random.default_rng(0))
    assert (out["ebv"] == 0).all()
    pd.testing.assert_frame_equal(out.drop(columns=["ebv", "distance_kpc"]), src)
