"""Interstellar dust on the simulated sky: the reddening E(B−V) in front of each source and the
extinction it causes in each band."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Extinction per unit reddening, A_band / E(B−V), for R_V = 3.1: the SDSS-like g, r, i, z of ZTF
#: and Pan-STARRS (Schlafly & Finkbeiner 2011, Table 6) and WISE W1, W2 (Yuan, Liu & Xiang 2013);
#: W3 and W4 are taken as unextinguished.
EXTINCTION_PER_EBV = {
    "g": 3.303,
    "r": 2.285,
    "i": 1.698,
    "z": 1.263,
    "w1": 0.18,
    "w2": 0.16,
    "w3": 0.0,
    "w4": 0.0,
}


def colour_excess(ebv: np.ndarray, blue: str, red: str) -> np.ndarray:
    """How much redder the colour ``blue − red`` looks through reddening ``ebv``."""
    return (EXTINCTION_PER_EBV[blue] - EXTINCTION_PER_EBV[red]) * np.asarray(ebv)


def dust_column(b_deg: np.ndarray, cfg: dict, rng: np.random.Generator) -> np.ndarray:
    """E(B−V) through the whole Galaxy towards latitude ``b_deg``: a cosecant law (a dust slab,
    ``ebv_pole`` at the poles), capped at ``ebv_max`` in the plane, times a log-normal
    patchiness of ``patchiness_dex``."""
    sin_b = np.abs(np.sin(np.radians(np.asarray(b_deg, dtype=float))))
    slab = np.minimum(cfg["ebv_pole"] / np.maximum(sin_b, 1e-9), cfg["ebv_max"])
    return slab * 10 ** (cfg["patchiness_dex"] * rng.standard_normal(len(sin_b)))


#: Stars' absolute g magnitudes: dwarfs along the main sequence by dust-free g − r, the
#: long-period variables red giants; both with a scatter (mag).
_DWARF_ABS_MAG_G = (3.0, 4.7)  # M_g = a + b (g − r)
_GIANT_ABS_MAG_G = 0.0
_ABS_MAG_SCATTER = 0.5


def star_absolute_magnitude(
    g_r: np.ndarray, var_type: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Absolute g magnitude of stars of dust-free colour ``g_r``: the long-period variables are
    giants, every other star a dwarf."""
    a, b = _DWARF_ABS_MAG_G
    mean = np.where(np.asarray(var_type) == "lpv", _GIANT_ABS_MAG_G, a + b * np.asarray(g_r))
    return mean + _ABS_MAG_SCATTER * rng.standard_normal(len(mean))


def reddening_at_distance(distance_kpc: np.ndarray, column: np.ndarray, cfg: dict) -> np.ndarray:
    """E(B−V) in front of a star ``distance_kpc`` away along a sightline of total ``column``:
    the slab's dust, ``ebv_pole / scale_height_kpc`` per kpc near the Sun, thinning out along
    the sightline as it leaves the slab (all of ``column`` at infinity)."""
    per_kpc = cfg["ebv_pole"] / cfg["scale_height_kpc"]
    safe = np.maximum(column, 1e-12)
    return column * -np.expm1(-np.asarray(distance_kpc) * per_kpc / safe)


def star_distances(
    mag_g: np.ndarray, abs_mag_g: np.ndarray, column: np.ndarray, cfg: dict
) -> np.ndarray:
    """The distance (kpc) at which a star of absolute magnitude ``abs_mag_g`` is seen at
    ``mag_g`` through the dust in front of it: g = M_g + 5 log10(d / 10 pc) + A_g(d), solved by
    bisection in log distance (the right side rises with d)."""
    low, high = np.full(len(mag_g), -4.0), np.full(len(mag_g), 4.0)  # log10 kpc
    for _ in range(60):
        mid = 0.5 * (low + high)
        d = 10**mid
        seen = (
            abs_mag_g
            + 5 * (mid + 2)
            + EXTINCTION_PER_EBV["g"] * reddening_at_distance(d, column, cfg)
        )
        too_far = seen > mag_g
        high, low = np.where(too_far, mid, high), np.where(too_far, low, mid)
    return 10 ** (0.5 * (low + high))


def redden(src: pd.DataFrame, cfg: dict, rng: np.random.Generator) -> pd.DataFrame:
    """Put the dust of ``cfg`` (``simulation.extinction``) in front of every source.

    QSOs and galaxies lie behind the whole column: they dim by A_g and redden, so their number
    counts, drawn dust-free, thin out where the dust is thick. A star's drawn magnitude is
    already the observed one (star counts are what a survey sees): it lies at the distance where
    its absolute magnitude (:func:`star_absolute_magnitude`) and the dust in front of it
    (:func:`reddening_at_distance`) give that magnitude, and only its colours redden. Adds
    ``ebv`` and, for stars, ``distance_kpc``; ``mag_g`` and ``g_r`` become the observed
    values, and the other surveys' colours redden by :func:`colour_excess`."""
    column = dust_column(src["gal_b"].to_numpy(), cfg, rng)
    is_star = (src["class"] == "star").to_numpy()
    ebv = column.copy()
    distance = np.full(len(src), np.nan)
    if cfg["ebv_pole"] > 0 and is_star.any():
        stars = np.flatnonzero(is_star)
        abs_mag = star_absolute_magnitude(
            src["g_r"].to_numpy()[stars], src["var_type"].to_numpy().astype(str)[stars], rng
        )
        distance[stars] = star_distances(
            src["mag_g"].to_numpy()[stars], abs_mag, column[stars], cfg
        )
        ebv[stars] = reddening_at_distance(distance[stars], column[stars], cfg)
    out = src.copy()
    out["ebv"] = ebv
    out["distance_kpc"] = distance
    out["mag_g"] = out["mag_g"] + np.where(is_star, 0.0, EXTINCTION_PER_EBV["g"] * ebv)
    out["g_r"] = out["g_r"] + colour_excess(ebv, "g", "r")
    return out


def intrinsic_g_r(src: pd.DataFrame) -> np.ndarray:
    """The sources' dust-free g − r."""
    return src["g_r"].to_numpy() - colour_excess(src["ebv"].to_numpy(), "g", "r")
