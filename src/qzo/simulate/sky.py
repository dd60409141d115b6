"""The simulated source population: positions, classes, magnitudes, colours and redshifts."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

CLASSES = ("galaxy", "qso", "star")
#: The simulated QSOs' redshifts.
QSO_Z_RANGE = (0.1, 4.5)
CLASS_CODES = {name: code for code, name in enumerate(CLASSES)}

# North Galactic pole (J2000), for Galactic latitude.
_RA_NGP, _DEC_NGP = np.radians(192.85948), np.radians(27.12825)

# Number counts N(<m) ∝ 10^(slope·m) between bright and faint limits (g band, AB).
_COUNTS = {
    "star": {"slope": 0.20, "bright": 13.5, "faint": 21.8},
    "galaxy": {"slope": 0.45, "bright": 15.5, "faint": 21.8},
    "qso": {"slope": 0.60, "bright": 16.0, "faint": 21.8},
}
_STAR_PLANE_SCALE_DEG = 10.0


def galactic_latitude(ra_deg: ArrayLike, dec_deg: ArrayLike) -> np.ndarray:
    """Galactic latitude in degrees (J2000 pole)."""
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    sinb = np.sin(dec) * np.sin(_DEC_NGP) + np.cos(dec) * np.cos(_DEC_NGP) * np.cos(ra - _RA_NGP)
    return np.degrees(np.arcsin(np.clip(sinb, -1, 1)))


def offset_positions(
    ra: ArrayLike, dec: ArrayLike, sep_arcsec: ArrayLike, pa_rad: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Move positions by ``sep_arcsec`` along position angle ``pa_rad`` (small-angle, for < 1')."""
    sep = np.radians(np.asarray(sep_arcsec) / 3600.0)
    dec_new = dec + np.degrees(sep * np.cos(pa_rad))
    ra_new = ra + np.degrees(sep * np.sin(pa_rad)) / np.cos(np.radians(dec))
    return np.mod(ra_new, 360.0), np.clip(dec_new, -90.0, 90.0)


def _sample_caps(
    regions: list[dict], n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points inside spherical caps, each cap chosen with probability ∝ its area."""
    radii = np.radians([r["radius"] for r in regions])
    areas = 1 - np.cos(radii)
    which = rng.choice(len(regions), size=n, p=areas / areas.sum())
    cos_r = np.cos(radii[which])
    cos_theta = 1 - rng.random(n) * (1 - cos_r)
    theta, phi = np.arccos(cos_theta), rng.random(n) * 2 * np.pi
    # Point at colatitude theta from the north pole, then rotate the pole onto the cap centre.
    x, y, z = np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), cos_theta
    ra0 = np.radians([r["ra"] for r in regions])[which]
    dec0 = np.radians([r["dec"] for r in regions])[which]
    colat = np.pi / 2 - dec0
    x1 = x * np.cos(colat) + z * np.sin(colat)
    z1 = -x * np.sin(colat) + z * np.cos(colat)
    x2 = x1 * np.cos(ra0) - y * np.sin(ra0)
    y2 = x1 * np.sin(ra0) + y * np.cos(ra0)
    ra = np.mod(np.degrees(np.arctan2(y2, x2)), 360.0)
    dec = np.degrees(np.arcsin(np.clip(z1, -1, 1)))
    return ra, dec


def _class_densities(cfg: dict, b_deg: np.ndarray) -> np.ndarray:
    """Relative surface density of each class at Galactic latitude b (stars rise to the plane)."""
    f = cfg["class_fractions_at_pole"]
    boost = 1 + cfg["star_plane_boost"] * np.exp(-np.abs(b_deg) / _STAR_PLANE_SCALE_DEG)
    return np.stack(
        [np.full_like(b_deg, f["galaxy"]), np.full_like(b_deg, f["qso"]), f["star"] * boost], axis=1
    )


def draw_categories(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per row of ``weights`` (n, k), a category index drawn with probability ∝ the row's
    weights: one uniform per row against the row's cumulative weights."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return (u[:, None] > cum[:, :-1]).sum(axis=1)


def _sample_positions_and_classes(cfg: dict, rng: np.random.Generator) -> tuple:
    """Rejection-sample positions with density ∝ total class density, then a class per position."""
    n = cfg["n_sources"]
    f = cfg["class_fractions_at_pole"]
    dmax = f["galaxy"] + f["qso"] + f["star"] * (1 + cfg["star_plane_boost"])
    ras, decs, cls = [], [], []
    have = 0
    while have < n:
        ra, dec = _sample_caps(cfg["regions"], max(2 * (n - have), 1000), rng)
        dens = _class_densities(cfg, galactic_latitude(ra, dec))
        keep = rng.random(len(ra)) * dmax < dens.sum(1)
        ra, dec, dens = ra[keep], dec[keep], dens[keep]
        ras.append(ra)
        decs.append(dec)
        cls.append(draw_categories(dens, rng))
        have += len(ra)
    return np.concatenate(ras)[:n], np.concatenate(decs)[:n], np.concatenate(cls)[:n]


def _truncated_counts(slope: float, bright: float, faint: float, u: np.ndarray) -> np.ndarray:
    """Invert N(<m) ∝ 10^(slope·m) on [bright, faint] for uniform deviates u."""
    lo = 10 ** (slope * (bright - faint))
    return faint + np.log10(lo + u * (1 - lo)) / slope


def _distance_modulus(z: np.ndarray) -> np.ndarray:
    """Flat ΛCDM (H0 70, Ωm 0.3) distance modulus, tabulated and interpolated."""
    grid = np.linspace(0.0, 6.0, 3001)
    ez = 1 / np.sqrt(0.3 * (1 + grid) ** 3 + 0.7)
    dc = (
        np.concatenate([[0], np.cumsum(0.5 * (ez[1:] + ez[:-1]) * np.diff(grid))]) * 299792.458 / 70
    )
    dl = np.maximum((1 + grid) * dc, 1e-6)
    return np.interp(z, grid, 5 * np.log10(dl * 1e6 / 10))


def sample_sources(cfg: dict, rng: np.random.Generator) -> pd.DataFrame:
    """The intrinsic source catalog: one row per astrophysical source, before any survey."""
    ra, dec, cls = _sample_positions_and_classes(cfg, rng)
    n = len(ra)
    names = np.array(CLASSES)[cls]
    mag = np.empty(n)
    for name, p in _COUNTS.items():
        sel = names == name
        mag[sel] = _truncated_counts(p["slope"], p["bright"], p["faint"], rng.random(sel.sum()))

    is_q, is_g, is_s = names == "qso", names == "galaxy", names == "star"
    z = np.zeros(n)
    z[is_q] = np.clip(0.1 + rng.gamma(2.5, 0.6, is_q.sum()), *QSO_Z_RANGE)
    z[is_g] = np.clip(0.02 + rng.gamma(2.0, 0.06, is_g.sum()), 0.005, 0.8)

    # g-r colour, needed for the r band and the other surveys.
    g_r = np.empty(n)
    g_r[is_q] = 0.15 + 0.1 * rng.standard_normal(is_q.sum()) + 0.8 * np.maximum(0, z[is_q] - 2.8)
    g_r[is_g] = 0.6 + 0.15 * rng.standard_normal(is_g.sum()) + 0.8 * z[is_g]
    red = rng.random(is_s.sum()) < 0.4
    g_r[is_s] = np.where(red, rng.normal(1.2, 0.2, is_s.sum()), rng.normal(0.45, 0.12, is_s.sum()))
    g_r = np.clip(g_r, -0.3, 1.8)

    abs_mag = np.where(is_q, mag - _distance_modulus(np.where(is_q, z, 1.0)), np.nan)
    return pd.DataFrame(
        {
            "ra": ra,
            "dec": dec,
            "gal_b": galactic_latitude(ra, dec),
            "class": pd.Categorical(names, categories=CLASSES),
            "z": z,
            "mag_g": mag,
            "g_r": g_r,
            "abs_mag_g": abs_mag,
        }
    ).pipe(_sort_spatially)


def _sort_spatially(df: pd.DataFrame) -> pd.DataFrame:
    df = df.sort_values(["dec", "ra"], kind="stable").reset_index(drop=True)
    df.insert(0, "source_id", np.arange(len(df), dtype=np.int64))
    return df
