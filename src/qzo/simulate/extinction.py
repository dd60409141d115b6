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


def redden(src: pd.DataFrame, cfg: dict, rng: np.random.Generator) -> pd.DataFrame:
    """Put the dust of ``cfg`` (``simulation.extinction``) in front of every source.

    QSOs and galaxies lie behind the whole column: they dim by A_g and redden, so their number
    counts, drawn dust-free, thin out where the dust is thick. A star lies behind a uniform
    random share of the column; its drawn magnitude is already the observed one (star counts are
    what a survey sees), so only its colours redden. Adds ``ebv``; ``mag_g`` and ``g_r`` become
    the observed values, and the other surveys' colours redden by :func:`colour_excess`."""
    column = dust_column(src["gal_b"].to_numpy(), cfg, rng)
    is_star = (src["class"] == "star").to_numpy()
    ebv = np.where(is_star, rng.random(len(src)), 1.0) * column
    out = src.copy()
    out["ebv"] = ebv
    out["mag_g"] = out["mag_g"] + np.where(is_star, 0.0, EXTINCTION_PER_EBV["g"] * ebv)
    out["g_r"] = out["g_r"] + colour_excess(ebv, "g", "r")
    return out


def intrinsic_g_r(src: pd.DataFrame) -> np.ndarray:
    """The sources' dust-free g − r."""
    return src["g_r"].to_numpy() - colour_excess(src["ebv"].to_numpy(), "g", "r")
