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
)

SLAB = {"ebv_pole": 0.03, "ebv_max": 3.0, "patchiness_dex": 0.0}


def test_dust_column_is_a_cosecant_slab_capped_in_the_plane():
    b = np.array([90.0, -30.0, 5.0, 0.1, 0.0])
    column = dust_column(b, SLAB, np.random.default_rng(0))
    np.testing.assert_allclose(column, [0.03, 0.06, 0.03 / np.sin(np.radians(5.0)), 3.0, 3.0])
    patchy = dust_column(
        np.full(4000, 30.0), {**SLAB, "patchiness_dex": 0.15}, np.random.default_rng(0)
    )
    assert np.std(np.log10(patchy)) == pytest.approx(0.15, rel=0.05)
    assert np.median(patchy) == pytest.approx(0.06, rel=0.02)


def test_redden_dims_extragalactic_sources_and_only_reddens_stars():
    src = pd.DataFrame(
        {
            "class": pd.Categorical(["qso", "galaxy", "star", "star"]),
            "gal_b": [30.0, -30.0, 30.0, 0.0],
            "mag_g": [20.0, 19.0, 18.0, 17.0],
            "g_r": [0.2, 0.8, 1.2, 0.4],
        }
    )
    out = redden(src, SLAB, np.random.default_rng(1))
    rng = np.random.default_rng(1)
    rng.standard_normal(4)  # the column's (here zero) patchiness
    star_share = rng.random(4)[2:]
    np.testing.assert_allclose(out["ebv"], [0.06, 0.06, *(star_share * [0.06, 3.0])])
    a_g = EXTINCTION_PER_EBV["g"]
    np.testing.assert_allclose(out["mag_g"], [20.0 + 0.06 * a_g, 19.0 + 0.06 * a_g, 18.0, 17.0])
    np.testing.assert_allclose(out["g_r"] - src["g_r"], (a_g - 2.285) * out["ebv"])
    np.testing.assert_allclose(intrinsic_g_r(out), src["g_r"])
    assert colour_excess(1.0, "g", "w1") == pytest.approx(3.303 - 0.18)


def test_no_dust_leaves_the_sources_as_drawn():
    src = pd.DataFrame(
        {
            "class": pd.Categorical(["qso", "star"]),
            "gal_b": [1.0, 1.0],
            "mag_g": [20.0, 18.0],
            "g_r": [0.2, 1.2],
        }
    )
    out = redden(src, {**SLAB, "ebv_pole": 0.0}, np.random.default_rng(0))
    assert (out["ebv"] == 0).all()
    pd.testing.assert_frame_equal(out.drop(columns="ebv"), src)
