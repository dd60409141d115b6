"""Ancillary surveys of the simulated sky, with the real catalogs' column names.

AllWISE (Vega mags, ph_qual, upper limits), Pan-STARRS1 DR1 (−999 = missing), Gaia EDR3, and the
SDSS specObj spectroscopic labels (biased bright and to high latitude, with repeats and warnings).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qzo.simulate.extinction import colour_excess, intrinsic_g_r
from qzo.simulate.sky import offset_positions

_WISE_LIMITS = {"w1": 17.2, "w2": 16.1, "w3": 11.5, "w4": 8.0}  # ~5σ, Vega
_PS1_LIMITS = {"g": 22.0, "r": 21.8, "i": 21.5, "z": 20.9}
_GAIA_LIMIT = 20.9


def _scatter(
    ra: np.ndarray, dec: np.ndarray, sigma_arcsec: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    sep = sigma_arcsec * np.sqrt(-2 * np.log(rng.random(len(ra))))  # Rayleigh
    return offset_positions(ra, dec, sep, rng.uniform(0, 2 * np.pi, len(ra)))


def _colours(src: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Colours per class, from the dust-free g − r, reddened by each source's E(B−V): PS1 r−i,
    i−z and WISE g−W1, W1−W2, W2−W3, W3−W4."""
    n = len(src)
    cls = src["class"].to_numpy().astype(str)
    z, g_r = src["z"].to_numpy(), intrinsic_g_r(src)
    llagn = (src["var_type"].to_numpy().astype(str) == "drw") & (cls == "galaxy")
    q, g, s = cls == "qso", cls == "galaxy", cls == "star"
    nrm = rng.standard_normal((6, n))
    r_i = np.select(
        [q, g],
        [0.1 + 0.1 * nrm[0] + 0.5 * np.maximum(0, z - 4.0), 0.35 + 0.08 * nrm[0]],
        0.1 + 0.3 * g_r + 0.9 * np.maximum(0, g_r - 1.0) + 0.03 * nrm[0],
    )
    i_z = np.select([q, g], [0.05 + 0.1 * nrm[1], 0.25 + 0.08 * nrm[1]], 0.05 + 0.5 * r_i)
    g_w1 = np.select(
        [q, g], [3.6 + 0.5 * nrm[2], 3.8 + 0.5 * nrm[2]], 0.8 + 2.2 * g_r + 0.1 * nrm[2]
    )
    w1_w2 = np.select(
        [q, g & llagn, g],
        [
            1.05 - 0.25 * np.exp(-((z - 2.5) ** 2) / 0.5) + 0.2 * nrm[3],
            rng.uniform(0.4, 0.8, n),
            rng.uniform(0.0, 0.5, n),
        ],
        0.0 + 0.05 * nrm[3] + 0.1 * np.maximum(0, g_r - 1.2),
    )
    w2_w3 = np.select(
        [q, g],
        [2.9 + 0.3 * nrm[4], np.where(rng.random(n) < 0.6, 3.0 + 0.6 * nrm[4], 1.5 + 0.5 * nrm[4])],
        0.1 + 0.1 * nrm[4],
    )
    w3_w4 = np.select([q, g], [2.5 + 0.3 * nrm[5], 2.2 + 0.3 * nrm[5]], 0.1 + 0.2 * nrm[5])
    ebv = src["ebv"].to_numpy()
    return {
        "r_i": r_i + colour_excess(ebv, "r", "i"),
        "i_z": i_z + colour_excess(ebv, "i", "z"),
        "g_w1": g_w1 + colour_excess(ebv, "g", "w1"),
        "w1_w2": w1_w2 + colour_excess(ebv, "w1", "w2"),
        "w2_w3": w2_w3 + colour_excess(ebv, "w2", "w3"),
        "w3_w4": w3_w4 + colour_excess(ebv, "w3", "w4"),
        "is_star": s,
    }


def allwise(src: pd.DataFrame, col: dict, rng: np.random.Generator) -> tuple:
    """AllWISE: a row where W1 or W2 reaches SNR 5; faint bands as 95% upper limits (ph_qual U)."""
    w1 = src["mag_g"].to_numpy() - col["g_w1"]
    mags = {"w1": w1, "w2": w1 - col["w1_w2"]}
    mags["w3"] = mags["w2"] - col["w2_w3"]
    mags["w4"] = mags["w3"] - col["w3_w4"]
    snr = {b: 5 * 10 ** (-0.4 * (m - _WISE_LIMITS[b])) for b, m in mags.items()}
    detected = (snr["w1"] * np.exp(rng.normal(0, 0.15, len(w1))) >= 5) | (snr["w2"] >= 5)
    idx = np.flatnonzero(detected)
    out: dict[str, np.ndarray] = {
        "cntr": np.arange(1, len(idx) + 1, dtype=np.int64) * 7 + 1_000_000_000
    }
    out["ra"], out["dec"] = _scatter(
        src["ra"].to_numpy()[idx], src["dec"].to_numpy()[idx], 0.15, rng
    )
    qual = []
    for b in ("w1", "w2", "w3", "w4"):
        s_ = snr[b][idx]
        err = np.sqrt(0.02**2 + (1.0857 / s_) ** 2)
        m = mags[b][idx] + (1.0857 / s_) * rng.standard_normal(len(idx))
        upper = s_ < 2
        out[f"{b}mpro"] = np.where(upper, _WISE_LIMITS[b] + 0.75 + rng.normal(0, 0.1, len(idx)), m)
        out[f"{b}sigmpro"] = np.where(upper, np.nan, err)
        qual.append(np.select([upper, s_ < 3, s_ < 10], ["U", "C", "B"], "A"))
    out["ph_qual"] = np.char.add(np.char.add(qual[0], qual[1]), np.char.add(qual[2], qual[3]))
    cc = np.where(rng.random(len(idx)) < 0.02, "h000", "0000")
    out["cc_flags"] = np.where(rng.random(len(idx)) < 0.01, "dd00", cc)
    df = pd.DataFrame(out)
    for c in ("ph_qual", "cc_flags"):
        df[c] = df[c].astype(str)
    return df, src["source_id"].to_numpy()[idx], df["cntr"].to_numpy()


def ps1(src: pd.DataFrame, col: dict, rng: np.random.Generator) -> tuple:
    """Pan-STARRS1 DR1 mean PSF magnitudes; −999 where a band is below its limit."""
    g = src["mag_g"].to_numpy() + np.where(
        src["class"].to_numpy().astype(str) == "galaxy", 0.3, 0.0
    )
    bands = {"g": g, "r": g - src["g_r"].to_numpy()}
    bands["i"] = bands["r"] - col["r_i"]
    bands["z"] = bands["i"] - col["i_z"]
    out, any_det = {}, np.zeros(len(g), bool)
    for b, m in bands.items():
        err = np.sqrt(0.01**2 + (0.2 * 10 ** (0.4 * (m - _PS1_LIMITS[b]))) ** 2)
        obs = m + err * rng.standard_normal(len(m))
        det = obs < _PS1_LIMITS[b] + rng.normal(0, 0.15, len(m))
        out[f"{b}MeanPSFMag"] = np.where(det, obs, -999.0)
        out[f"{b}MeanPSFMagErr"] = np.where(det, err, -999.0)
        any_det |= det
    idx = np.flatnonzero(any_det)
    ra, dec = _scatter(src["ra"].to_numpy()[idx], src["dec"].to_numpy()[idx], 0.05, rng)
    df = pd.DataFrame(
        {
            "objID": 100_000_000_000_000 + np.arange(len(idx), dtype=np.int64) * 13,
            "raMean": ra,
            "decMean": dec,
        }
    )
    for k, v in out.items():
        df[k] = v[idx]
    return df, src["source_id"].to_numpy()[idx], df["objID"].to_numpy()


def gaia(src: pd.DataFrame, col: dict, rng: np.random.Generator) -> tuple:
    """Gaia EDR3: stars and QSOs to G ≈ 21, few (compact) galaxies; astrometry for stars only."""
    cls = src["class"].to_numpy().astype(str)
    g_r = src["g_r"].to_numpy()
    G = src["mag_g"].to_numpy() - 0.2 - 0.45 * g_r
    n = len(G)
    det = G < _GAIA_LIMIT + rng.normal(0, 0.15, n)
    det &= (cls != "galaxy") | (rng.random(n) < 0.1)
    idx = np.flatnonzero(det)
    G, g_r, cls = G[idx], g_r[idx], cls[idx]
    m = len(idx)
    bprp = 0.25 + 1.35 * g_r
    sig = np.maximum(0.015, 0.02 * 10 ** (0.3 * (G - 15)))
    star = cls == "star"
    dist_kpc = 10 ** rng.uniform(-0.7, 1.2, m)
    plx_true = np.where(star, 1 / dist_kpc, 0.0)
    v_t, pa_ = rng.uniform(20, 200, m), rng.uniform(0, 2 * np.pi, m)
    pm_true = np.where(star, v_t / (4.74 * dist_kpc), 0.0)
    ra, dec = _scatter(src["ra"].to_numpy()[idx], src["dec"].to_numpy()[idx], 0.01, rng)
    bp = G + 0.4 * bprp + 0.1 + 0.02 * rng.standard_normal(m)
    no_bprp = (G > 20.5) & (rng.random(m) < 0.3)
    df = pd.DataFrame(
        {
            "source_id": 4_000_000_000_000_000 + np.arange(m, dtype=np.int64) * 4099,
            "ra": ra,
            "dec": dec,
            "phot_g_mean_mag": G + 0.003 * rng.standard_normal(m),
            "phot_bp_mean_mag": np.where(no_bprp, np.nan, bp),
            "phot_rp_mean_mag": np.where(no_bprp, np.nan, bp - bprp),
            "phot_bp_rp_excess_factor": np.where(
                cls == "galaxy", rng.uniform(1.5, 3.0, m), 1.2 + 0.02 * rng.standard_normal(m)
            ),
            "parallax": plx_true + sig * rng.standard_normal(m),
            "parallax_error": sig,
            "pmra": pm_true * np.sin(pa_) + 1.1 * sig * rng.standard_normal(m),
            "pmra_error": 1.1 * sig,
            "pmdec": pm_true * np.cos(pa_) + 1.1 * sig * rng.standard_normal(m),
            "pmdec_error": 1.1 * sig,
        }
    )
    return df, src["source_id"].to_numpy()[idx], df["source_id"].to_numpy()


_STAR_TYPES = np.array(["A0", "F5", "F9", "G2", "K1", "K5", "M0", "M2", "M4"])
_BAD_ZWARNING = np.array([1, 4, 4, 128, 20, 260])


def _weighted_sample(weight: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` positions drawn without replacement with probability ∝ ``weight`` (Gumbel top-k)."""
    usable = np.flatnonzero(weight > 0)
    keys = np.log(weight[usable]) + rng.gumbel(size=len(usable))
    return usable[np.argsort(-keys)[: max(0, min(k, len(usable)))]]


def qso_candidate_weight(src: pd.DataFrame) -> np.ndarray:
    """How likely a source is to be targeted as a faint QSO candidate (SDSS-III/IV's BOSS and
    eBOSS QSO samples, g ≈ 19–22): by observables only (blue g−r, magnitude, latitude), so
    the spectra include the blue stars and compact galaxies that such selections catch."""
    g = src["mag_g"].to_numpy()
    colour = np.exp(-0.5 * ((src["g_r"].to_numpy() - 0.15) / 0.2) ** 2)
    in_range = (g > 19.0) & (g < 22.0)
    return colour * in_range * np.where(np.abs(src["gal_b"].to_numpy()) > 30, 1.0, 0.1)


def sdss_specobj(src: pd.DataFrame, cfg: dict, rng: np.random.Generator) -> tuple:
    """SDSS specObj rows with the paper's class mix: a share ``sdss_candidate_fraction`` of
    faint QSO candidates chosen by colour (:func:`qso_candidate_weight`), whatever their class,
    and the rest a bright-biased, high-latitude subset of each class that fills its quota."""
    cls = src["class"].to_numpy().astype(str)
    n_total = round(cfg["sdss_fraction"] * len(src))
    candidates = _weighted_sample(
        qso_candidate_weight(src), round(cfg["sdss_candidate_fraction"] * n_total), rng
    )
    weight = 10 ** (-0.7 * (src["mag_g"].to_numpy() - 18.0))
    weight *= np.where(np.abs(src["gal_b"].to_numpy()) > 30, 1.0, 0.1)
    weight[candidates] = 0.0
    chosen = [candidates]
    for name, frac in cfg["sdss_class_mix"].items():
        quota = round(frac * n_total) - int(np.sum(cls[candidates] == name))
        chosen.append(_weighted_sample(np.where(cls == name, weight, 0.0), quota, rng))
    idx = np.sort(np.concatenate(chosen))
    # Repeat spectra of one source: most at the identical plug position, some re-targeted nearby.
    rep = idx[rng.random(len(idx)) < cfg["sdss_repeat_fraction"]]
    rows = np.concatenate([idx, rep])
    n = len(rows)
    ra, dec = _scatter(src["ztf_ra"].to_numpy()[rows], src["ztf_dec"].to_numpy()[rows], 0.25, rng)
    rep_rows = np.arange(len(idx), n)
    exact = rep_rows[rng.random(len(rep_rows)) < 0.7]
    first = np.searchsorted(idx, rows[exact])
    ra[exact], dec[exact] = ra[first], dec[first]
    c = cls[rows]
    z_true = src["z"].to_numpy()[rows]
    zerr = np.where(c == "qso", rng.uniform(3e-4, 2e-3, n), rng.uniform(1e-5, 2e-4, n))
    z = np.where(c == "star", rng.normal(0, 5e-5, n), z_true + zerr * rng.standard_normal(n))
    f_bad = cfg["sdss_zwarning_fraction"]
    u = rng.random(n)
    warn = np.where(u < f_bad, rng.choice(_BAD_ZWARNING, n), np.where(u < f_bad + 0.04, 16, 0))
    bad = ~np.isin(warn, [0, 16])
    z = np.where(bad, rng.uniform(0, 3, n), z)  # failed redshift fits are unreliable
    llagn = src["var_type"].to_numpy().astype(str)[rows] == "drw"
    g_r = intrinsic_g_r(src)[rows]
    star_type = _STAR_TYPES[
        np.clip(np.digitize(g_r, [0.0, 0.3, 0.4, 0.5, 0.7, 1.0, 1.2, 1.4]), 0, 8)
    ]
    sub = np.select(
        [c == "star", c == "qso", (c == "galaxy") & llagn],
        [
            star_type,
            np.where(rng.random(n) < 0.7, "BROADLINE", ""),
            np.where(rng.random(n) < 0.5, "AGN", "AGN BROADLINE"),
        ],
        np.where(
            rng.random(n) < 0.45, "STARFORMING", np.where(rng.random(n) < 0.1, "STARBURST", "")
        ),
    )
    plate = rng.integers(266, 12000, n)
    df = pd.DataFrame(
        {
            "SPECOBJID": (np.arange(n, dtype=np.int64) + 1) * 1_000_003 + 299_000_000_000,
            "PLATE": plate,
            "MJD": rng.integers(51600, 59600, n),
            "FIBERID": rng.integers(1, 1001, n),
            "PLUG_RA": ra,
            "PLUG_DEC": dec,
            "CLASS": np.char.upper(np.where(c == "qso", "QSO", c)),
            "SUBCLASS": sub,
            "Z": z,
            "Z_ERR": zerr,
            "ZWARNING": warn,
        }
    )
    for k in ("CLASS", "SUBCLASS"):
        df[k] = df[k].astype(str)
    return df, src["source_id"].to_numpy()[rows], df["SPECOBJID"].to_numpy()


#: The position columns of the catalogs matched to ZTF, as their writers above name them.
POSITION_COLUMNS = {"allwise": ("ra", "dec"), "ps1": ("raMean", "decMean"), "gaia": ("ra", "dec")}


def simulate_surveys(src: pd.DataFrame, cfg: dict, rng: np.random.Generator) -> dict[str, tuple]:
    """All ancillary catalogs: name -> (table, source_id per row, catalog id per row)."""
    col = _colours(src, rng)
    return {
        "allwise": allwise(src, col, rng),
        "ps1": ps1(src, col, rng),
        "gaia": gaia(src, col, rng),
        "sdss_specobj": sdss_specobj(src, cfg, rng),
    }
