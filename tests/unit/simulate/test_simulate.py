"""The simulated sky: real formats, and the statistics SIMULATION.md promises."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import DATA, simulate_into, small_sky_config

from qzo.io.ztf_files import build_inventory, read_lightcurves
from qzo.io.ztf_format import ALL_COLUMNS, DRFileName, decode_objectid
from qzo.simulate.extinction import intrinsic_g_r
from qzo.simulate.realism import epoch_statistics
from qzo.simulate.realism import main as realism_main
from qzo.simulate.variability import STAR_COLOUR_RANGE, drw_processes, star_mix_by_colour
from qzo.simulate.ztf import magerr_model


@pytest.fixture(scope="module")
def sky(small_sky):
    out, manifest = small_sky
    files = [out / f for f in manifest["ztf_files"]]
    truth = pd.read_parquet(out / "truth" / "sources.parquet")
    objects = pd.read_parquet(out / "truth" / "objects.parquet")
    return out, manifest, files, truth, objects


@pytest.fixture(scope="module")
def epochs(sky):
    """All light curves flattened, with object index, objectid and source class per epoch."""
    _, _, files, truth, objects = sky
    lcs = [read_lightcurves(f) for f in files]
    oid = np.concatenate([lc.objectid for lc in lcs])
    n = np.concatenate([lc.n_epochs for lc in lcs])
    src = objects.set_index("objectid").loc[oid, "source_id"].to_numpy()
    return pd.DataFrame(
        {
            "obj": np.repeat(np.arange(len(oid)), n),
            "objectid": np.repeat(oid, n),
            "cls": np.repeat(
                truth.set_index("source_id").loc[src, "class"].astype(str).to_numpy(), n
            ),
            "hmjd": np.concatenate([lc.hmjd for lc in lcs]),
            "mag": np.concatenate([lc.mag for lc in lcs]),
            "magerr": np.concatenate([lc.magerr for lc in lcs]),
            "catflags": np.concatenate([lc.catflags for lc in lcs]),
        }
    )


def test_files_pass_the_ingest_validation(sky):
    _, manifest, files, _, objects = sky
    inv = build_inventory(files, workers=2)
    assert inv["n_objects"].sum() == manifest["n_objectids"] == len(objects)
    assert inv["n_epochs"].sum() == manifest["n_epochs"] == objects["nepochs"].sum()
    for path in files:
        name = DRFileName.parse(path.name)
        assert name is not None and name.dr == 20 and name.band == "g"
        assert path.relative_to(sky[0] / "ztf").as_posix() == name.relpath
        parts = decode_objectid(pq.read_table(path, columns=["objectid"]).column(0).to_numpy())
        assert set(parts["fieldid"]) == {name.fieldid} and set(parts["rcid"]) == {name.rcid}
        assert set(parts["filterid"]) == {1}


def test_float32_hmjd_files_have_the_real_dr5_schema(tmp_path, ztf_sample):
    simulate_into(tmp_path, small_sky_config(n_sources=200, hmjd_dtype="float32"))
    path = next((tmp_path / "ztf").rglob("*.parquet"))
    real = pq.read_schema(ztf_sample)
    ours = pq.read_schema(path)
    for name in ALL_COLUMNS:
        assert ours.field(name).type == real.field(name).type, name


def test_class_mix_and_plane_density(sky):
    _, _, _, truth, _ = sky
    frac = truth["class"].value_counts(normalize=True)
    assert frac["star"] > frac["galaxy"] > frac["qso"]
    assert 0.01 < frac["qso"] < 0.08
    plane = truth["gal_b"].abs() < 10
    # Stars per deg² in the plane cap (r = 0.6°) vs at high latitude (r = 1.2°).
    area_plane, area_high = np.pi * 0.6**2, np.pi * 1.2**2
    stars = truth["class"] == "star"
    assert (stars & plane).sum() / area_plane > 3 * (stars & ~plane).sum() / area_high


def test_noise_and_flags_match_the_real_dr5_fixture(sky):
    """The statistics the classifiers depend on, against the real DR5 file (same code, same
    bins): median clean-epoch magerr at g = 15…19 within 12 %, flagged epochs within 1.5
    points (docs/simulation.md)."""
    _, _, files, _, _ = sky
    real = epoch_statistics([DATA / "ztf_dr5_field202_rc61_sample.parquet"])
    simulated = epoch_statistics(files)
    for centre, value in real["median_magerr_clean"].items():
        assert simulated["median_magerr_clean"][centre] == pytest.approx(value, rel=0.12), centre
    assert simulated["flagged_fraction"] == pytest.approx(real["flagged_fraction"], abs=0.015)
    assert simulated["unusable_fraction"] == pytest.approx(real["unusable_fraction"], abs=0.015)


def test_magerr_model_has_the_real_floor_and_depth():
    assert magerr_model(12.0, 20.5) == pytest.approx(0.0145, rel=0.01)
    assert magerr_model(20.1, 20.5) == pytest.approx(np.hypot(0.0145, 1.0857 / 5), rel=1e-6)


def test_bad_epochs_carry_the_unusable_bit(epochs):
    flags = epochs["catflags"].to_numpy()
    bad = flags >= 32768
    assert (flags == 65535).any()
    harmless = flags[(flags > 0) & ~bad]
    assert len(harmless) and set(np.unique(harmless)) <= {1, 2, 4, 16, 256, 512, 3, 5, 6}


def test_epochs_inside_palomar_nights_and_time_range(epochs):
    t = epochs["hmjd"].to_numpy()
    assert t.min() >= 58194 - 0.01 and t.max() <= 60330 + 0.01
    frac = t % 1
    assert frac.min() > 0.12 and frac.max() < 0.53  # 03–13 UT, ± heliocentric correction
    counts = epochs.groupby("obj").size()
    assert counts.max() > 500 and (counts < 50).sum() > 0  # tens to hundreds of epochs


def test_duplicates_are_close_pairs_with_split_epochs(sky):
    _, _, files, truth, objects = sky
    pos = pd.concat(
        [pq.read_table(f, columns=["objectid", "objra", "objdec"]).to_pandas() for f in files]
    ).set_index("objectid")
    objects = objects.join(pos, on="objectid")
    pairs = objects[objects.groupby("source_id")["objectid"].transform("size") == 2]
    first = pairs[~pairs["is_secondary"]].set_index("source_id")
    second = pairs[pairs["is_secondary"]].set_index("source_id").loc[first.index]
    dra = (second["objra"] - first["objra"]) * np.cos(np.radians(first["objdec"]))
    sep = np.hypot(dra, second["objdec"] - first["objdec"]) * 3600
    assert sep.max() < 0.75 and 0.2 < sep.median() < 0.45
    assert 0.15 < len(first) / len(truth) < 0.32
    assert (second["nepochs"] < first["nepochs"]).mean() > 0.7
    assert objects.groupby("source_id").size().max() == 2


def test_qsos_vary_and_constant_stars_do_not(sky, epochs):
    _, _, _, truth, objects = sky
    good = epochs[epochs["catflags"] == 0]
    stats = good.groupby("objectid").agg(
        std=("mag", "std"), err=("magerr", "median"), n=("mag", "size"), mag=("mag", "median")
    )
    # Objects brighter than g = 20 (cut on the object, not on its epochs, which would
    # truncate a variable light curve's spread).
    stats = stats[(stats["n"] >= 20) & (stats["mag"] < 20.0)]
    source = objects.set_index("objectid").loc[stats.index, "source_id"]
    truth = truth.set_index("source_id").loc[source]
    ratio = stats["std"].to_numpy() / stats["err"].to_numpy()
    constant = ratio[(truth["var_type"] == "constant").to_numpy()]
    qso = ratio[(truth["class"] == "qso").to_numpy()]
    # With real ZTF noise most of these QSOs are g ≈ 19–20, where magerr ≈ 0.05–0.2 mag
    # and DRW rms (SF∞ / √2 ≈ 0.07–0.25 mag) is comparable: variable, but not by far.
    assert 0.8 < np.median(constant) < 1.2
    assert len(qso) >= 8  # the dust hides the plane's QSOs
    assert np.median(qso) > np.median(constant) + 0.25


def test_the_drw_processes_span_every_simulated_walk(sky):
    """drw_processes (what the likelihood model assumes) holds each damped random walk's
    parameters: QSOs (observed-frame τ), the AGN among galaxies, the red-noise stars."""
    truth = sky[3]
    kind = np.where(
        truth["var_type"] == "red_noise",
        "red_noise",
        np.where(truth["var_type"] == "drw", np.where(truth["class"] == "qso", "qso", "llagn"), ""),
    )
    for name, ((tau_low, tau_high), (sf_low, sf_high)) in drw_processes().items():
        walks = truth[kind == name]
        assert len(walks) > 0, name
        assert walks["tau"].between(tau_low, tau_high).all(), name
        assert walks["sf_inf"].between(sf_low, sf_high).all(), name


def test_star_mix_confines_types_to_their_colours_and_keeps_their_shares():
    """Three blue stars and one red: the red one is the only possible LPV, four times as likely
    to be one as the mix's 1.5 %; the blue ones share the pulsators and CVs; over the four the
    mix is the base mix."""
    g_r = np.array([0.5, 0.4, 0.3, 1.2])
    mix = pd.DataFrame(
        star_mix_by_colour(g_r),
        columns=["constant", "red_noise", "pulsator", "eclipsing", "lpv", "cv"],
    )
    np.testing.assert_allclose(mix.sum(axis=1), 1.0)
    np.testing.assert_allclose(mix["lpv"], [0, 0, 0, 0.06])
    np.testing.assert_allclose(mix["pulsator"], [0.04, 0.04, 0.04, 0])
    np.testing.assert_allclose(mix["cv"], [0.005 / 0.75] * 3 + [0])
    np.testing.assert_allclose(
        mix.mean(), [0.80, 0.12, 0.03, 0.03, 0.015, 0.005], rtol=0, atol=1e-12
    )
    # The unconfined types keep their 80 : 12 : 3 proportions in each star.
    np.testing.assert_allclose(mix["constant"] / mix["red_noise"], 0.80 / 0.12)
    np.testing.assert_allclose(mix["constant"] / mix["eclipsing"], 0.80 / 0.03)


def test_simulated_variable_stars_have_their_types_colours(sky):
    truth = sky[3]
    stars = truth[truth["class"] == "star"].assign(g_r_0=lambda t: intrinsic_g_r(t))
    for kind, (low, high) in STAR_COLOUR_RANGE.items():
        of_kind = stars[stars["var_type"] == kind]
        assert len(of_kind) > 0, kind
        assert of_kind["g_r_0"].between(low, high, inclusive="left").all(), kind


def test_dust_hides_the_plane_extragalactic_sky_and_reddens_its_stars(sky):
    """In the plane cap (|b| < 1°, E(B−V) up to 3) QSOs and galaxies dim out of ZTF's reach,
    while the stars keep their observed magnitudes, redden, and brighten in W1 − g."""
    _, _, _, truth, _ = sky
    plane = truth["gal_b"].abs() < 5
    seen = truth["n_objectids"] > 0
    extragalactic = truth["class"].isin(["qso", "galaxy"])
    assert seen[extragalactic & ~plane].mean() > 0.9
    assert seen[extragalactic & plane].mean() < 0.2
    stars = truth["class"] == "star"
    assert truth.loc[stars & plane, "ebv"].median() > 0.5 > 0.05 > truth.loc[~plane, "ebv"].median()
    assert seen[stars & plane].mean() > 0.9
    # The plane's faint red stars reach AllWISE through the dust that dims their g band.
    faint_red = stars & (truth["mag_g"] > 20) & (intrinsic_g_r(truth) > 1.0)
    has_wise = truth["allwise_id"] >= 0
    assert has_wise[faint_red & plane].mean() > has_wise[faint_red & ~plane].mean() + 0.3


def test_wise_coverage_and_sdss_labels(sky):
    out, _, _, truth, _ = sky
    has_wise = truth["allwise_id"] >= 0
    # The paper's 41 % of the whole population where the dust is thin; the plane's reddened
    # stars are brighter in W1 for their g (test_dust_hides_the_plane_...).
    high = truth["gal_b"].abs() > 30
    assert 0.33 < has_wise[high].mean() < 0.50 < has_wise[~high].mean()
    in_sdss = truth["n_sdss_spectra"] > 0
    assert has_wise[in_sdss].mean() > 0.6 > has_wise[high].mean() + 0.1
    for cls in ("qso", "galaxy"):
        assert (
            has_wise[in_sdss & (truth["class"] == cls)].mean()
            > has_wise[truth["class"] == cls].mean() - 0.05
        )

    sdss = pd.read_parquet(out / "sdss_specobj.parquet")
    assert {"PLUG_RA", "PLUG_DEC", "CLASS", "SUBCLASS", "Z", "Z_ERR", "ZWARNING"} <= set(
        sdss.columns
    )
    mix = sdss["CLASS"].value_counts(normalize=True)
    assert mix["GALAXY"] == pytest.approx(0.47, abs=0.03)
    assert mix["QSO"] == pytest.approx(0.25, abs=0.03)
    assert mix["STAR"] == pytest.approx(0.28, abs=0.03)
    assert 0.01 < (~sdss["ZWARNING"].isin([0, 16])).mean() < 0.06
    assert (sdss["ZWARNING"] == 16).any()
    assert sdss.duplicated(["PLUG_RA", "PLUG_DEC"]).sum() > 0  # exact positional repeats
    # Labelled objects are brighter and at higher latitude than the population.
    lab = truth[in_sdss]
    assert lab["mag_g"].median() < truth["mag_g"].median() - 0.5
    assert (lab["gal_b"].abs() > 30).mean() > (truth["gal_b"].abs() > 30).mean()
    # The faint QSO candidates bring labelled stars as faint as the QSOs they resemble.
    faint_stars = lab[(lab["class"] == "star") & (lab["mag_g"] > 20)]
    assert len(faint_stars) >= 10


def test_ancillary_catalog_columns(sky):
    out = sky[0]
    wise = pd.read_parquet(out / "allwise.parquet")
    for col in ["ra", "dec", "ph_qual", "cc_flags"] + [
        f"w{i}{k}" for i in range(1, 5) for k in ("mpro", "sigmpro")
    ]:
        assert col in wise.columns, col
    upper = wise["ph_qual"].str[2] == "U"
    assert upper.mean() > 0.3 and wise.loc[upper, "w3sigmpro"].isna().all()
    ps1 = pd.read_parquet(out / "ps1.parquet")
    assert (ps1["zMeanPSFMag"] == -999).any() and not ps1.filter(
        like="MeanPSFMag"
    ).isna().any().any()
    gaia = pd.read_parquet(out / "gaia.parquet")
    for col in (
        "phot_g_mean_mag",
        "phot_bp_mean_mag",
        "phot_rp_mean_mag",
        "phot_bp_rp_excess_factor",
        "parallax",
        "pmra",
        "pmdec",
    ):
        assert col in gaia.columns


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_deterministic_for_a_seed_whatever_the_workers(tmp_path):
    cfg = small_sky_config(n_sources=600)
    simulate_into(tmp_path / "a", cfg, workers=1)
    simulate_into(tmp_path / "b", cfg, workers=2)
    a, b = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert a == b and len(a) > 5
    simulate_into(tmp_path / "c", small_sky_config(n_sources=600, seed=12))
    assert _digest(tmp_path / "c") != a


def test_realism_command_prints_both_skies_and_draws_the_figure(sky, tmp_path, capsys):
    out, _, _, _, _ = sky
    figure = tmp_path / "noise.png"
    realism_main(
        [
            str(DATA / "ztf_dr5_field202_rc61_sample.parquet"),
            "--simulated",
            str(out / "ztf"),
            "--figure",
            str(figure),
        ]
    )
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {"real", "simulated"}
    assert printed["real"]["light_curves"] == 655
    assert figure.read_bytes()[:4] == b"\x89PNG"
