"""Cross-matching: nearest counterparts against astropy, across shard borders via margins, and
the surveys' missing-value conventions on constructed rows."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from conftest import pole_and_seam_sky

from qzo.errors import InputDataError
from qzo.io.catalog_files import catalog_columns, read_catalog_file
from qzo.lightcurves.crossmatch import GAIA, PS1, WISE, match_survey, shard_features
from qzo.simulate.sky import offset_positions
from qzo.sky.healpix import healpix_29, histogram, margin_targets, plan_shards
from qzo.sky.zones import nearest_within


def astropy_nearest(ra1, dec1, ra2, dec2, radius):
    idx, sep, _ = SkyCoord(ra1 * u.deg, dec1 * u.deg).match_to_catalog_sky(
        SkyCoord(ra2 * u.deg, dec2 * u.deg)
    )
    within = sep.arcsec <= radius
    return np.where(within, idx, -1), np.where(within, sep.arcsec, np.nan)


def test_nearest_within_equals_astropy_at_the_poles_and_the_seam():
    rng = np.random.default_rng(4)
    ra, dec = pole_and_seam_sky(rng, 8000)
    take = rng.random(len(ra)) < 0.5
    match, sep = nearest_within(ra[take], dec[take], ra[~take], dec[~take], 1.0)
    ref, ref_sep = astropy_nearest(ra[take], dec[take], ra[~take], dec[~take], 1.0)
    assert (match >= 0).sum() > 500  # many pairs, at both poles and across RA = 0
    assert np.array_equal(match, ref)
    np.testing.assert_allclose(sep, ref_sep, atol=1e-6)


def test_cross_match_across_shard_borders_equals_an_all_sky_match():
    rng = np.random.default_rng(5)
    ra, dec = rng.uniform(10, 10.4, 6000), rng.uniform(-0.2, 0.2, 6000)
    # Catalogue 2: a counterpart for each object, 0–0.9″ away, plus unrelated sources.
    r2, d2 = offset_positions(ra, dec, rng.uniform(0, 0.9, len(ra)), rng.uniform(0, 6.3, len(ra)))
    ra2 = np.concatenate([r2, rng.uniform(10, 10.4, 3000)])
    dec2 = np.concatenate([d2, rng.uniform(-0.2, 0.2, 3000)])
    wise = pd.DataFrame({"ra": ra2, "dec": dec2, "ph_qual": "AAAA"})
    for k in range(1, 5):
        wise[f"w{k}mpro"] = 15.0 + k + 0.001 * np.arange(len(wise))
    h1, h2 = healpix_29(ra, dec), healpix_29(ra2, dec2)
    shards = plan_shards(histogram(h1, 10), max_rows=400)
    own1, own2 = shards.lookup(h1), shards.lookup(h2)
    rows, targets = margin_targets(h2, own2, shards, 5.0)
    expected, _ = nearest_within(ra, dec, ra2, dec2, 1.0)
    crossed = 0
    for s in range(len(shards)):
        mine = np.flatnonzero(own1 == s)
        near = np.concatenate([np.flatnonzero(own2 == s), rows[targets == s]])
        objects = pd.DataFrame({"objectid": mine, "ra": ra[mine], "dec": dec[mine]})
        feats = match_survey(objects, wise.iloc[near], "ra", "dec", WISE, 1.0)
        w1 = feats["wise_w1"].to_numpy()
        want = np.where(expected[mine] >= 0, wise["w1mpro"].to_numpy()[expected[mine]], np.nan)
        np.testing.assert_array_equal(w1, want)
        crossed += int(((expected[mine] >= 0) & (own2[expected[mine]] != s)).sum())
    assert len(shards) > 10 and crossed > 10  # counterparts found in neighbouring shards


def test_missing_values_follow_each_survey_convention():
    objects = pd.DataFrame({"objectid": [1, 2, 3], "ra": [50.0, 50.1, 50.2], "dec": [5.0] * 3})
    ps = pd.DataFrame(
        {
            "raMean": [50.0, 50.1],
            "decMean": [5.0, 5.0],
            "gMeanPSFMag": [20.0, -999.0],
            "rMeanPSFMag": [19.5, 19.0],
            "iMeanPSFMag": [19.25, 18.5],
            "zMeanPSFMag": [19.0, -999.0],
        }
    )
    f = match_survey(objects, ps, "raMean", "decMean", PS1, 1.0)
    assert f["ps_g_r"].iloc[0] == 0.5 and f["ps_r_z"].iloc[0] == 0.5
    assert np.isnan(f["ps_g"].iloc[1]) and np.isnan(f["ps_g_r"].iloc[1])
    assert f["ps_r_i"].iloc[1] == 0.5 and f.iloc[2].drop("ps_sep_arcsec").isna().all()
    assert list(f.columns) == [*PS1.features, "ps_sep_arcsec"] and len(PS1.features) == 10

    wise = pd.DataFrame(
        {
            "ra": [50.0, 50.1],
            "dec": [5.0, 5.0],
            "w1mpro": [15.0, 16.0],
            "w2mpro": [14.5, 15.0],
            "w3mpro": [12.0, 11.0],
            "w4mpro": [8.5, 8.0],
            "ph_qual": ["AAUX", "ABC"],  # a short string: the missing band counts as X
        }
    )
    missing = match_survey(objects, wise, "ra", "dec", WISE, 1.0)
    assert missing["wise_w1_w2"].iloc[0] == 0.5 and np.isnan(missing["wise_w3"].iloc[0])
    assert np.isnan(missing["wise_w4"].iloc[0]) and np.isnan(missing["wise_w2_w4"].iloc[0])
    assert missing["wise_w3"].iloc[1] == 11.0 and np.isnan(missing["wise_w4"].iloc[1])
    kept = match_survey(objects, wise, "ra", "dec", WISE, 1.0, wise_upper_limits="keep")
    assert kept["wise_w4"].iloc[0] == 8.5 and kept["wise_w3_w4"].iloc[0] == 3.5

    gaia = pd.DataFrame(
        {
            "ra": [50.2],
            "dec": [5.0],
            "phot_g_mean_mag": [18.0],
            "phot_bp_mean_mag": [18.5],
            "phot_rp_mean_mag": [17.25],
            "phot_bp_rp_excess_factor": [1.2],
            "parallax": [0.5],
            "pmra": [1.0],
            "pmdec": [-2.0],
        }
    )
    g = match_survey(objects, gaia, "ra", "dec", GAIA, 1.0)
    assert g["gaia_bp_rp"].iloc[2] == 1.25 and g["gaia_pmdec"].iloc[2] == -2.0
    assert g["gaia_sep_arcsec"].iloc[2] == 0 and g["gaia_g"].iloc[:2].isna().all()


def test_shard_features_keep_every_object_and_count_matches():
    objects = pd.DataFrame(
        {
            "objectid": [7, 8],
            "ra": [10.0, 11.0],
            "dec": [0.0, 0.0],
            "n_obs": [30, 40],
            "mag_median": [19.0, 20.0],
            "snr_mean": [10.0, 5.0],
            "timespan": [900.0, 800.0],
        }
    )
    flags = pd.DataFrame({"objectid": [7, 8], "is_duplicate": [False, True]})
    wise = pd.DataFrame(
        {"ra": [10.0 + 0.5 / 3600], "dec": [0.0], "ph_qual": ["AAAA"]}
        | {f"w{k}mpro": [10.0 + k] for k in range(1, 5)}
    )
    table, counts = shard_features(objects, flags, {"allwise": (wise, "ra", "dec")}, 1.0)
    assert counts == {"objects": 2, "allwise_matched": 1}
    assert list(table["is_duplicate"]) == [False, True]
    assert table["wise_sep_arcsec"].iloc[0] == pytest.approx(0.5, abs=1e-3)
    with pytest.raises(AssertionError, match="same order"):
        shard_features(objects, flags.iloc[::-1], {}, 1.0)


def test_a_catalog_file_without_a_feature_column_is_named(tmp_path):
    path = tmp_path / "allwise.parquet"
    pq.write_table(pa.table({"ra": [1.0], "dec": [2.0], "w1mpro": [15.0]}), path)
    with pytest.raises(InputDataError, match=r"allwise.parquet, column 'w2mpro': column is"):
        read_catalog_file(path, "ra", "dec", catalog_columns("allwise"))
