"""Per-shard features: the ZTF object's own, its duplicate flag, and its nearest AllWISE, PS1
and Gaia counterparts within the match radius, turned into the XGBoost features of METHOD.md §5.

A shard's objects are matched against the catalogue's rows on the same shard plus its margin
(neighbouring shards' rows near the border), so a border object finds the counterpart an
all-sky search would. Missing survey values are NaN: PS1's −999, and WISE bands that are upper
limits (``ph_qual`` U or X) unless configured otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from qzo.sky.zones import nearest_within


@dataclass(frozen=True)
class Survey:
    """How one external catalogue becomes features: its magnitude columns (feature name →
    catalogue column), other numeric columns, and which colours to form."""

    name: str
    magnitudes: dict
    extra: dict
    colours: tuple

    @property
    def columns(self) -> list[str]:
        return [*self.magnitudes.values(), *self.extra.values()]

    @property
    def features(self) -> list[str]:
        names = [*self.magnitudes, *self.extra]
        return [f"{self.name}_{n}" for n in names] + [
            f"{self.name}_{a}_{b}" for a, b in self.colours
        ]


WISE = Survey(
    "wise",
    {f"w{k}": f"w{k}mpro" for k in range(1, 5)},
    {},
    tuple(combinations(("w1", "w2", "w3", "w4"), 2)),
)
PS1 = Survey(
    "ps",
    {b: f"{b}MeanPSFMag" for b in "griz"},
    {},
    tuple(combinations("griz", 2)),
)
GAIA = Survey(
    "gaia",
    {"g": "phot_g_mean_mag", "bp": "phot_bp_mean_mag", "rp": "phot_rp_mean_mag"},
    {
        "parallax": "parallax",
        "pmra": "pmra",
        "pmdec": "pmdec",
        "bp_rp_excess_factor": "phot_bp_rp_excess_factor",
    },
    (("g", "bp"), ("g", "rp"), ("bp", "rp")),
)
SURVEYS = {"allwise": WISE, "ps1": PS1, "gaia": GAIA}
PS1_MISSING = -999.0

ZTF_COLUMNS = ["objectid", "ra", "dec", "n_obs", "mag_median", "snr_mean", "timespan"]


def survey_values(
    survey: Survey, rows: pd.DataFrame, wise_upper_limits: str = "missing"
) -> dict[str, np.ndarray]:
    """The survey's magnitudes and extra columns for ``rows`` (features named without colours),
    with the survey's missing-value conventions applied."""
    out = {}
    for name, col in {**survey.magnitudes, **survey.extra}.items():
        values = rows[col].to_numpy(dtype=np.float64, na_value=np.nan)
        if survey is PS1:
            values = np.where(values <= PS1_MISSING, np.nan, values)
        out[name] = values
    if survey is WISE and wise_upper_limits == "missing":
        # One ph_qual character per band (a short or null string counts as X: no measurement).
        qual = rows["ph_qual"].fillna("").astype(str).str.pad(4, side="right", fillchar="X")
        flags = qual.to_numpy().astype("U4").view("U1").reshape(len(qual), 4)
        for k, band in enumerate(survey.magnitudes):
            out[band] = np.where(np.isin(flags[:, k], ["U", "X"]), np.nan, out[band])
    return out


def survey_features(survey: Survey, values: dict) -> dict:
    """Magnitudes, extras and the pairwise colours (NaN where either magnitude is missing)."""
    out = {f"{survey.name}_{k}": v for k, v in values.items()}
    for a, b in survey.colours:
        out[f"{survey.name}_{a}_{b}"] = values[a] - values[b]
    return out


def match_survey(
    objects: pd.DataFrame,
    catalog: pd.DataFrame,
    ra: str,
    dec: str,
    survey: Survey,
    radius_arcsec: float,
    wise_upper_limits: str = "missing",
) -> pd.DataFrame:
    """One row per object: the survey's features from its nearest counterpart within the radius
    (NaN without one) and ``<survey>_sep_arcsec``."""
    row, sep = nearest_within(
        objects["ra"].to_numpy(),
        objects["dec"].to_numpy(),
        catalog[ra].to_numpy(),
        catalog[dec].to_numpy(),
        radius_arcsec,
    )
    matched = row >= 0
    values = survey_values(survey, catalog.iloc[row[matched]], wise_upper_limits)
    full = {}
    for name, v in values.items():
        column = np.full(len(objects), np.nan)
        column[matched] = v
        full[name] = column
    out = pd.DataFrame(survey_features(survey, full), index=objects.index)
    out[f"{survey.name}_sep_arcsec"] = sep.astype(np.float32)
    return out


def shard_features(
    objects: pd.DataFrame,
    duplicates: pd.DataFrame,
    catalogs: dict,
    radius_arcsec: float,
    wise_upper_limits: str = "missing",
) -> tuple[pd.DataFrame, dict]:
    """The feature table of one shard and its match counts.

    ``catalogs`` maps a survey key of :data:`SURVEYS` to ``(rows, ra_column, dec_column)``,
    the rows being the shard's and its margin's together.
    """
    if not objects["objectid"].equals(duplicates["objectid"]):
        raise AssertionError("objects and duplicate flags are not in the same order")
    out = objects[ZTF_COLUMNS].reset_index(drop=True)
    out["is_duplicate"] = duplicates["is_duplicate"].to_numpy()
    counts = {"objects": len(out)}
    for key, (rows, ra, dec) in catalogs.items():
        survey = SURVEYS[key]
        feats = match_survey(out, rows, ra, dec, survey, radius_arcsec, wise_upper_limits)
        counts[f"{key}_matched"] = int(feats[f"{survey.name}_sep_arcsec"].notna().sum())
        out = pd.concat([out, feats], axis=1)
    return out, counts
