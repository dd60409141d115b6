"""The paper's tables from the XGBoost test split and the catalog, counts over the sky, and on
the simulated sky the catalogs' true purity and completeness (figures: :mod:`qzo.products.figures`).

Test-split scores use the XGBoost training table (``xgb_train``); counts over the sky stream the
HATS copy of the per-object table shard by shard, so memory does not grow with the sky.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from qzo.config.settings import XGBSettings
from qzo.io import StrPath
from qzo.io.atomic import atomic_path, write_csv_atomic
from qzo.models.metrics import binary_scores, class_scores, data_cuts
from qzo.models.xgb import QSO, fit_classifier, predict_proba
from qzo.products.catalog import any_qso, qzo_selection
from qzo.sky.healpix import HEALPIX_29
from qzo.training.training_set import SDSS_CLASSES

log = logging.getLogger(__name__)

_SKY_COLUMNS = [
    "ID",
    "n_obs",
    "mag_median",
    "snr_mean",
    "is_duplicate",
    "p_galaxy",
    "p_QSO",
    "p_star",
    "p_WISE_galaxy",
    "p_WISE_QSO",
    "p_WISE_star",
    HEALPIX_29,
]


def write_table(frame: pd.DataFrame, csv: StrPath, markdown: StrPath, caption: str) -> None:
    """The table as CSV and as Markdown (under its caption)."""
    write_csv_atomic(frame, csv)
    with atomic_path(markdown) as tmp:
        tmp.write_text(f"{caption}\n\n{_markdown(frame)}\n")


def _markdown(frame: pd.DataFrame) -> str:
    def cell(v: object) -> str:
        if isinstance(v, float | np.floating):
            return "—" if np.isnan(v) else f"{v:.3f}"
        return str(v)

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join([head, rule, *rows])


def class_labels(frame: pd.DataFrame) -> np.ndarray:
    """Class indices (galaxy, QSO, star) of a frame's ``class`` column."""
    return frame["class"].str.upper().map(SDSS_CLASSES).to_numpy()


def table1(test: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """QSO F1, kept fraction and accuracy of the ZTF model under each data cut (test split)."""
    labels, probs = class_labels(test), test[["p_galaxy", "p_QSO", "p_star"]].to_numpy()
    rows = []
    for name, keep in data_cuts(test, cfg).items():
        s = class_scores(labels[keep], probs[keep], QSO)
        rows.append(
            {
                "cut": name,
                "qso_f1": s["qso_f1"],
                "fraction": keep.mean(),
                "accuracy": s["accuracy"],
                "n": s["n"],
            }
        )
    return pd.DataFrame(rows)


class SkyCounts:
    """Counts over the per-object table, accumulated shard by shard: QSO candidates per cut
    and threshold (Table 4, Fig. 9), a HEALPix density map of QZO, and truth comparisons."""

    def __init__(self, cfg: dict, truth: pd.Series | None):
        self.cfg, self.truth = cfg, truth
        self.thresholds = list(cfg["thresholds"])
        self.grid = np.linspace(0, 1, 101)[:-1]
        self.table4: dict = {}
        self.curves: dict = {}
        self.sky: dict = {}  # QZO objects per pixel of order skymap_order
        self.footprint: set[int] = set()  # pixels holding any object
        self.truth_counts = {k: np.zeros(3, np.int64) for k in ("QZO", "ZTF_all_QSO")}

    def add(self, frame: pd.DataFrame) -> None:
        kept = frame[~frame["is_duplicate"].to_numpy(bool)]
        p = kept["p_WISE_QSO"].to_numpy()
        for name, keep in data_cuts(kept, self.cfg).items():
            counts = [(p[keep] > t).sum() for t in self.thresholds]
            self.table4[name] = np.add(self.table4.get(name, 0), counts)
            curve = [(p[keep] > t).sum() for t in self.grid]
            self.curves[name] = np.add(self.curves.get(name, 0), curve)
        qzo = qzo_selection(frame, self.cfg)
        order = self.cfg["skymap_order"]
        pixels = frame[HEALPIX_29].to_numpy() >> (2 * (29 - order))
        self.footprint.update(int(k) for k in np.unique(pixels))
        for k, n in zip(*np.unique(pixels[qzo], return_counts=True), strict=True):
            self.sky[int(k)] = self.sky.get(int(k), 0) + int(n)
        if self.truth is not None:
            is_qso = self.truth.reindex(frame["ID"]).to_numpy() == "qso"
            eligible = ~frame["is_duplicate"].to_numpy(bool)
            for name, chosen, universe in (
                ("QZO", qzo, eligible),
                ("ZTF_all_QSO", any_qso(frame), np.ones(len(frame), bool)),
            ):
                # [true positives, selected, true QSOs in the population]
                self.truth_counts[name] += [
                    int((chosen & is_qso).sum()),
                    int(chosen.sum()),
                    int((universe & is_qso).sum()),
                ]


def count_sky(hats: StrPath, cfg: dict, truth: pd.Series | None) -> SkyCounts:
    """:class:`SkyCounts` over the catalog's HATS copy of every object (the directory ``hats``),
    one shard file at a time."""
    counts = SkyCounts(cfg, truth)
    for path in sorted((Path(hats) / "dataset").rglob("Npix=*.parquet")):
        counts.add(pq.read_table(path, columns=_SKY_COLUMNS).to_pandas())
    return counts


def table4(counts: SkyCounts) -> pd.DataFrame:
    """QSO candidates (non-duplicates) per data cut and minimum p_WISE_QSO."""
    return pd.DataFrame(
        {
            f"p_WISE_QSO>{t:g}": [int(counts.table4[c][k]) for c in counts.table4]
            for k, t in enumerate(counts.thresholds)
        },
        index=pd.Index(list(counts.table4), name="cut"),
    ).reset_index()


#: The oracle's features: the simulated sky's true variability parameters and the magnitude.
ORACLE_FEATURES = ["tau", "sf_inf", "period", "amplitude", "mag_median"]
_MODEL_TABLE_KEYS = ("objectid", "n_obs", "mag_median", "label")


def read_truth_variability(truth_sources: StrPath, truth_objects: StrPath) -> pd.DataFrame:
    """Simulated truth: each objectid's true variability parameters (DRW τ and SF∞, period,
    amplitude; NaN where the source's kind has none)."""
    params = ORACLE_FEATURES[:-1]
    sources = pd.read_parquet(truth_sources, columns=["source_id", *params])
    objects = pd.read_parquet(truth_objects, columns=["objectid", "source_id"])
    return objects.merge(sources, on="source_id", how="left").set_index("objectid")[params]


def oracle_classes(
    predictions: pd.DataFrame, variability: pd.DataFrame, settings: XGBSettings
) -> pd.Series:
    """The ceiling on the simulated sky: XGBoost on :data:`ORACLE_FEATURES` (the truth the
    light curves were drawn from), trained on the train split of ``xgb_train``'s training
    predictions, early stopping on the val split; its classes for the test split's objectids."""
    table = predictions.join(variability, on="objectid")
    table["label"] = class_labels(table)
    split = table["split"]
    model = fit_classifier(
        table[split == "train"], table[split == "val"], ORACLE_FEATURES, "label", settings
    )
    test = table[split == "test"]
    return pd.Series(predict_proba(model, test).argmax(1), index=test["objectid"].to_numpy())


def light_curve_model_table(models: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """QSO F1 of each light-curve model (columns of ``models`` besides objectid, n_obs,
    mag_median and label: predicted classes on the test split) over all test objects and in
    bins of ``n_obs`` and of magnitude (``compare_n_obs_edges``, ``compare_mag_edges``)."""
    names = [c for c in models.columns if c not in _MODEL_TABLE_KEYS]
    is_qso = models["label"].to_numpy() == QSO
    cells = {"all": np.ones(len(models), bool)}
    for axis, column in (("n_obs", "n_obs"), ("g", "mag_median")):
        edges = cfg[f"compare_{'mag' if axis == 'g' else axis}_edges"]
        index = np.digitize(models[column].to_numpy(), edges) - 1
        for k in range(len(edges) - 1):
            cells[f"{axis} {edges[k]:g}–{edges[k + 1]:g}"] = index == k
    rows = []
    for name, cell in cells.items():
        row: dict = {"bin": name, "n": int(cell.sum()), "qsos": int(is_qso[cell].sum())}
        for model in names:
            predicted = models[model].to_numpy()[cell] == QSO
            row[model] = binary_scores(is_qso[cell], predicted)["f1"]
        rows.append(row)
    return pd.DataFrame(rows)


def read_truth(truth_sources: StrPath, truth_objects: StrPath) -> pd.Series:
    """Simulated truth: each objectid's source class (galaxy / qso / star)."""
    sources = pd.read_parquet(truth_sources, columns=["source_id", "class"])
    objects = pd.read_parquet(truth_objects, columns=["objectid", "source_id"])
    cls = sources.set_index("source_id")["class"].astype(str)
    return pd.Series(cls.reindex(objects["source_id"]).to_numpy(), index=objects["objectid"])


def truth_table(counts: SkyCounts, test: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """True purity / completeness / F1 of both catalogs on the simulated sky, beside what the
    same selection scores on the labelled test split."""
    rows = []
    is_qso = class_labels(test) == QSO
    selections = {"QZO": qzo_selection(test, cfg), "ZTF_all_QSO": any_qso(test)}
    for name, (tp, selected, n_true) in counts.truth_counts.items():
        purity = tp / selected if selected else np.nan
        completeness = tp / n_true if n_true else np.nan
        f1 = 2 * tp / (selected + n_true) if (selected + n_true) else np.nan
        universe = ~test["is_duplicate"].to_numpy(bool) if name == "QZO" else slice(None)
        split = binary_scores(is_qso[universe], selections[name][universe])
        rows.append(
            {
                "catalog": name,
                "rows": selected,
                "true_purity": purity,
                "true_completeness": completeness,
                "true_f1": f1,
                "test_purity": split["purity"],
                "test_completeness": split["completeness"],
                "test_f1": split["f1"],
            }
        )
    return pd.DataFrame(rows)


#: How Table 1's caption names each light-curve feature set of the catalog's ZTF model.
LIGHT_CURVE_SET_NAMES = {
    "ztf": "transformer probabilities",
    "shallow": "shallow light-curve statistics",
}


def table1_caption(settings: dict) -> str:
    """Table 1's caption, naming what the catalog's ZTF model learns from (``settings['xgb']``:
    the config section ``xgb``)."""
    sets = [LIGHT_CURVE_SET_NAMES[s] for s in settings["xgb"]["catalog_light_curve_features"]]
    return (
        f"Table 1. The catalog's ZTF model ({' + '.join([*sets, 'mag_median'])}) on the test "
        "split, per data cut."
    )
