"""Slow, per-object reference implementations in the style of the authors' code.

They exist to check the vectorised implementations (tests) and as benchmark baselines: a pandas
DataFrame per light curve, nights via astropy ``Time``, ``groupby`` means; astropy
``search_around_sky`` for duplicates. Never used by the pipeline itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from astropy import units as u
from astropy.coordinates import SkyCoord, search_around_sky
from astropy.time import Time
from numpy.typing import ArrayLike

from qzo.io.ztf_files import LightCurves
from qzo.lightcurves.preprocess import PreprocessSettings


def preprocess_one(
    hmjd: np.ndarray,
    mag: np.ndarray,
    magerr: np.ndarray,
    catflags: np.ndarray,
    settings: PreprocessSettings,
) -> dict | None:
    """One light curve: clean, night-average, summarise; None when it is dropped."""
    df = pd.DataFrame(
        {
            "mjd": hmjd,
            "mag": mag.astype(float),
            "magerr": magerr.astype(float),
            "catflags": catflags,
        }
    )
    df = df[df["catflags"] < settings.bad_catflags].replace([np.inf, -np.inf], np.nan).dropna()
    df = df[df["magerr"] > 0].drop_duplicates("mjd", keep="first")
    if len(df) < settings.min_epochs:
        return None
    snr_mean = float(np.mean(1.0857362047581294 / df["magerr"]))
    time = Time(df["mjd"].to_numpy(), format="mjd")
    df["night"] = np.floor(time.mjd - settings.night_boundary_utc_hours / 24.0)
    df["magerr2"] = df["magerr"] ** 2
    grouped = df.sort_values("mjd").groupby("night")
    nights = grouped.agg(
        mjd=("mjd", "mean"),
        mag=("mag", "mean"),
        n=("mag", "size"),
        e2=("magerr2", "sum"),
        emean=("magerr", "mean"),
    )
    if settings.magerr_combination == "quadrature":
        nights["magerr"] = np.sqrt(nights["e2"]) / nights["n"]
    else:
        nights["magerr"] = nights["emean"]
    if len(nights) < settings.min_nights:
        return None
    return {
        "n_clean": len(df),
        "n_obs": len(nights),
        "mag_median": float(nights["mag"].median()),
        "timespan": float(nights["mjd"].max() - nights["mjd"].min()),
        "cadence_median": float(np.median(np.diff(nights["mjd"].to_numpy()))),
        "snr_mean": snr_mean,
        "night_mjd": nights["mjd"].to_numpy(),
        "night_mag": nights["mag"].to_numpy(),
        "night_magerr": nights["magerr"].to_numpy(),
    }


def preprocess_reference(lc: LightCurves, settings: PreprocessSettings) -> pd.DataFrame:
    """:func:`preprocess_one` over every object, one row per kept object."""
    rows = []
    for i in range(lc.n_objects):
        s = slice(lc.offsets[i], lc.offsets[i + 1])
        out = preprocess_one(lc.hmjd[s], lc.mag[s], lc.magerr[s], lc.catflags[s], settings)
        if out is not None:
            rows.append({"objectid": lc.objectid[i], **out})
    return pd.DataFrame(rows)


def duplicates_reference(
    ra: ArrayLike,
    dec: ArrayLike,
    n_obs: ArrayLike,
    objectid: ArrayLike,
    radius_arcsec: float = 1.0,
) -> np.ndarray:
    """is_duplicate by astropy ``search_around_sky``: a neighbour within the radius has more
    nights, or as many and a smaller objectid."""
    coords = SkyCoord(ra=np.asarray(ra) * u.deg, dec=np.asarray(dec) * u.deg)
    i, j, _, _ = search_around_sky(coords, coords, radius_arcsec * u.arcsec)
    other = i != j
    i, j = i[other], j[other]
    n_obs, objectid = np.asarray(n_obs), np.asarray(objectid)
    loses = (n_obs[j] > n_obs[i]) | ((n_obs[j] == n_obs[i]) & (objectid[j] < objectid[i]))
    flag = np.zeros(len(coords), dtype=bool)
    flag[i[loses]] = True
    return flag
