"""Whether an object looks like any labelled one: its distance to the labelled set in the space
of its observables, in units of the distances held-out labelled objects have.

Every classifier here learns from SDSS spectra, and an object unlike all of them gets whatever
probabilities the trees' last splits give it. On the simulated sky that is what fills QZO with
faint long-period variables: none of the labelled stars is both faint and that variable, so the
models have never seen one (docs/method.md, "Calibration"). The same holds on the real sky for
any population the spectroscopic targeting missed. The test here makes no use of the class:

- the space: ``mag_median``, light-curve statistics that tell how and how much an object varies
  (the heavy-tailed ones as log10), and, where AllWISE has a counterpart, W1, W1 − W2 and
  W2 − W3; each standardised by the labelled objects' median and 16-84 % range;
- objects with and without WISE are compared only with labelled objects of the same kind, each
  kind in its own space;
- an object's distance is that to its ``neighbours``-th nearest labelled object, divided by the
  ``quantile`` of the same distance over reference labelled objects the tree does not hold
  (the val split): above 1, it is farther from the labels than all but ``1 − quantile`` of
  the labelled objects themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from qzo.io import StrPath
from qzo.io.atomic import atomic_path

#: Light-curve statistics of the support space taken as log10 (positive, spanning decades).
LOG_SUPPORT = (
    "lc_amplitude",
    "lc_standard_deviation",
    "lc_inter_percentile_range_10",
    "lc_chi2",
    "lc_eta_e",
    "lc_periodogram_period_0",
)
#: Every light-curve statistic of the support space (``lc_*`` feature columns).
LIGHT_CURVE_SUPPORT = [
    *LOG_SUPPORT,
    "lc_periodogram_period_s_to_n_0",
    "lc_skew",
    "lc_kurtosis",
    "lc_stetson_k",
    "lc_otsu_mean_diff",
]
#: The AllWISE columns of the space, for objects with a counterpart.
WISE_SUPPORT = ["wise_w1", "wise_w1_w2", "wise_w2_w3"]
#: Every column the support needs.
SUPPORT_COLUMNS = ["mag_median", *LIGHT_CURVE_SUPPORT, *WISE_SUPPORT]


@dataclass
class _Space:
    """One kind of object (with or without WISE): its columns, scaling, tree and threshold."""

    columns: list[str]
    centre: np.ndarray
    scale: np.ndarray
    tree: cKDTree
    threshold: float

    def coordinates(self, frame: pd.DataFrame) -> np.ndarray:
        return (_values(frame, self.columns) - self.centre) / self.scale


@dataclass
class LabelSupport:
    """The labelled set as a reference for :func:`label_distance`."""

    spaces: dict[bool, _Space]  # by whether the objects have WISE
    neighbours: int
    quantile: float


def has_wise(frame: pd.DataFrame) -> np.ndarray:
    """Which rows have an AllWISE counterpart (every WISE column of the space given)."""
    return frame[WISE_SUPPORT].notna().all(axis=1).to_numpy()


def _values(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """The columns as float64, log10 where :data:`LOG_SUPPORT` says; a missing or non-finite
    statistic (too few epochs) becomes NaN, filled by the caller."""
    values = frame[columns].to_numpy(np.float64, na_value=np.nan).copy()
    for j, name in enumerate(columns):
        if name in LOG_SUPPORT:
            with np.errstate(divide="ignore", invalid="ignore"):
                values[:, j] = np.log10(values[:, j])
    values[~np.isfinite(values)] = np.nan
    return values


def _distances(space: _Space, frame: pd.DataFrame, neighbours: int) -> np.ndarray:
    """Each row's distance to its ``neighbours``-th nearest labelled object of ``space``; a
    missing coordinate counts as the labelled median (0 once standardised)."""
    coords = np.nan_to_num(space.coordinates(frame), nan=0.0)
    k = min(neighbours, space.tree.n)
    dist, _ = space.tree.query(coords, k=[k])
    return dist[:, 0]


def fit_label_support(
    labelled: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    neighbours: int = 5,
    quantile: float = 0.99,
    max_labelled: int | None = None,
    seed: int = 0,
) -> LabelSupport:
    """The support of the ``labelled`` objects (their :data:`SUPPORT_COLUMNS`), its distance
    unit set by the ``reference`` objects (labelled, but not in ``labelled``); a kind of
    object (with or without WISE) missing from either has no support. With ``max_labelled``,
    each kind's tree holds a seeded random sample of at most that many labelled objects (the
    query cost grows with the tree); the unit is measured against the same sample, so the
    share of reference objects beyond 1 stays 1 − ``quantile``."""
    if neighbours < 1 or not 0 < quantile < 1:
        raise ValueError(f"neighbours {neighbours} (≥ 1), quantile {quantile} (in (0, 1))")
    if max_labelled is not None and max_labelled < neighbours:
        raise ValueError(f"max_labelled {max_labelled}: fewer than neighbours {neighbours}")
    rng = np.random.default_rng(seed)
    spaces = {}
    for wise in (True, False):
        columns = ["mag_median", *LIGHT_CURVE_SUPPORT] + (WISE_SUPPORT if wise else [])
        rows, ref = labelled[has_wise(labelled) == wise], reference[has_wise(reference) == wise]
        if len(rows) == 0 or len(ref) == 0:
            continue  # no labels of this kind: its objects are outside (label_distance)
        values = _values(rows, columns)
        centre = np.nanmedian(values, axis=0)
        high, low = np.nanpercentile(values, [84, 16], axis=0)
        scale = np.where(high > low, high - low, 1.0)
        points = np.nan_to_num((values - centre) / scale, nan=0.0)
        if max_labelled is not None and len(points) > max_labelled:
            points = points[np.sort(rng.choice(len(points), max_labelled, replace=False))]
        space = _Space(columns, centre, scale, cKDTree(points), 1.0)
        unit = float(np.quantile(_distances(space, ref, neighbours), quantile))
        space.threshold = max(unit, np.finfo(np.float64).tiny)
        spaces[wise] = space
    return LabelSupport(spaces, neighbours, quantile)


def fit_on_splits(
    labelled: pd.DataFrame, settings: Mapping[str, Any], quantile: float | None = None
) -> LabelSupport:
    """:func:`fit_label_support` on the ``train`` rows of ``labelled`` (by its ``split``
    column), the unit from its ``val`` rows, with the config section ``catalog.label_support``
    (``settings``); ``quantile``, when given, in place of the section's."""
    split = labelled["split"].to_numpy()
    return fit_label_support(
        labelled[split == "train"],
        labelled[split == "val"],
        neighbours=settings["neighbours"],
        quantile=settings["quantile"] if quantile is None else quantile,
        max_labelled=settings["max_labelled"],
    )


def label_distance(support: LabelSupport, frame: pd.DataFrame) -> np.ndarray:
    """Each row's distance to the labelled set in units of the reference objects' ``quantile``
    distance (:func:`fit_label_support`): above 1, outside the labels' support; infinite for
    a kind (with or without WISE) that no labelled and reference objects share."""
    out = np.full(len(frame), np.inf)
    wise = has_wise(frame)
    for kind, space in support.spaces.items():
        rows = wise == kind
        if rows.any():
            out[rows] = _distances(space, frame[rows], support.neighbours) / space.threshold
    return out


def save_label_support(support: LabelSupport, path: StrPath) -> None:
    """The support as one ``.npz`` (each space's labelled coordinates, scaling and unit),
    written atomically; :func:`load_label_support` rebuilds the trees."""
    arrays: dict[str, Any] = {
        "neighbours": np.array(support.neighbours),
        "quantile": np.array(support.quantile),
    }
    for wise, space in support.spaces.items():
        key = "wise" if wise else "no_wise"
        arrays[f"{key}/columns"] = np.array(space.columns)
        arrays[f"{key}/centre"], arrays[f"{key}/scale"] = space.centre, space.scale
        arrays[f"{key}/points"] = space.tree.data
        arrays[f"{key}/threshold"] = np.array(space.threshold)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)


def load_label_support(path: StrPath) -> LabelSupport:
    """A support written by :func:`save_label_support`."""
    with np.load(path) as saved:
        spaces = {}
        for wise, key in ((True, "wise"), (False, "no_wise")):
            if f"{key}/points" in saved.files:
                spaces[wise] = _Space(
                    [str(c) for c in saved[f"{key}/columns"]],
                    saved[f"{key}/centre"],
                    saved[f"{key}/scale"],
                    cKDTree(saved[f"{key}/points"]),
                    float(saved[f"{key}/threshold"]),
                )
        return LabelSupport(spaces, int(saved["neighbours"]), float(saved["quantile"]))
