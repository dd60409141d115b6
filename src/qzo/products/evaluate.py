"""The paper's tables from the XGBoost test split and the catalog, counts over the sky, and on
the simulated sky the catalogs' true purity and completeness (figures: :mod:`qzo.products.figures`).

Test-split scores use the XGBoost training table (``xgb_train``); counts over the sky stream the
HATS copy of the per-object table shard by shard, so memory does not grow with the sky.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from qzo.arrays.unique import sorted_unique
from qzo.config.settings import XGBSettings
from qzo.io import StrPath
from qzo.io.atomic import atomic_path, write_csv_atomic
from qzo.lightcurves.likelihood import table_log_likelihoods
from qzo.models.metrics import (
    BOOTSTRAP_RESAMPLES,
    binary_scores,
    class_scores,
    data_cuts,
    f1_bootstrap,
    interval,
)
from qzo.models.xgb import QSO, fit_classifier, predict_proba
from qzo.products.catalog import (
    CALIBRATED_QZO_PROBABILITY,
    LABEL_DISTANCE,
    any_qso,
    qzo_selection,
)
from qzo.simulate.variability import drw_processes
from qzo.sky.healpix import HEALPIX_29
from qzo.training.stacking import cross_fitted_classes
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
    CALIBRATED_QZO_PROBABILITY,
    LABEL_DISTANCE,
    HEALPIX_29,
]
#: The selections whose predicted purity and completeness are checked (:func:`calibration_table`):
#: the two QZO variants and every non-duplicate object (its QSO share).
CALIBRATION_SELECTIONS = ("QZO", "QZO_calibrated", "all non-duplicates")


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


def scores_by_cut(test: pd.DataFrame, cfg: dict, model: str = "") -> pd.DataFrame:
    """Per data cut, the paper's Table 1 columns for one model (``model``: the probability
    columns' prefix, ``""`` for p_*, ``"WISE_"`` for p_WISE_*) on the test split:

    - ``qso_fraction``: the share of the test split's QSOs the cut keeps;
    - ``qso_f1_full_sample``: QSO F1 over the whole test split, with the QSOs the cut removes
      counted as missed (false negatives);
    - ``qso_f1_subset``, ``accuracy_subset``: QSO F1 and three-class accuracy over the objects
      the cut keeps (``n`` of them);
    - ``qso_f1_subset_low``/``_high``: the 95 % interval of the subset's QSO F1 over bootstrap
      resamples of the test split, and ``minus_none_low``/``_high`` that of its difference to
      the uncut F1 on the same resamples (paired: whether the cut's rise is measured)."""
    labels = class_labels(test)
    names = [f"p_{model}{c}" for c in ("galaxy", "QSO", "star")]
    probs = test[names].to_numpy()
    predicted_qso = probs.argmax(axis=1) == QSO if len(test) else np.zeros(0, bool)
    is_qso = labels == QSO
    cuts = data_cuts(test, cfg)
    boot = f1_bootstrap({n: (is_qso & k, predicted_qso & k) for n, k in cuts.items()})
    rows = []
    for name, keep in cuts.items():
        subset = class_scores(labels[keep], probs[keep], QSO)
        low, high = interval(boot[name])
        rise_low, rise_high = interval(boot[name] - boot["none"])
        rows.append(
            {
                "cut": name,
                "qso_fraction": is_qso[keep].sum() / max(is_qso.sum(), 1),
                "qso_f1_full_sample": binary_scores(is_qso, keep & predicted_qso)["f1"],
                "qso_f1_subset": subset["qso_f1"],
                "accuracy_subset": subset["accuracy"],
                "n": subset["n"],
                "qso_f1_subset_low": low,
                "qso_f1_subset_high": high,
                "minus_none_low": rise_low,
                "minus_none_high": rise_high,
            }
        )
    return pd.DataFrame(rows)


def table1(test: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """Table 1: the catalog's ZTF model (p_*) per data cut (:func:`scores_by_cut`)."""
    return scores_by_cut(test, cfg)


@dataclass
class SkyTruth:
    """The simulated sky's truth, per objectid: its source's ``classes`` (galaxy / qso / star)
    and ``sources`` (source_id); the source ids of the QSOs with a light curve in the input
    files (``input_qso_sources``); and each object's ``kinds``, its class and variability type
    (e.g. ``star: lpv``)."""

    classes: pd.Series
    sources: pd.Series
    input_qso_sources: set
    kinds: pd.Series


#: The catalogs whose selections are compared with the truth, and the population each selects
#: from (QZO's: the non-duplicates; ZTF_all_QSO's: every object).
TRUTH_CATALOGS = {
    "QZO": "non-duplicates",
    "QZO_calibrated": "non-duplicates",
    "ZTF_all_QSO": "all objects",
    "QZO inside the labels": "non-duplicates",
    "QZO_calibrated inside the labels": "non-duplicates",
}


def inside_labels(frame: pd.DataFrame) -> np.ndarray:
    """The rows whose ``label_distance`` is at most 1: among the labelled objects
    (``qzo.models.support``)."""
    return frame[LABEL_DISTANCE].to_numpy(np.float64) <= 1.0


def truth_selections(frame: pd.DataFrame, cfg: dict) -> dict[str, np.ndarray]:
    """Each catalog of :data:`TRUTH_CATALOGS` as a mask over ``frame``'s rows."""
    qzo = qzo_selection(frame, cfg)
    qzo_calibrated = qzo_selection(frame, cfg, CALIBRATED_QZO_PROBABILITY)
    inside = inside_labels(frame)
    return {
        "QZO": qzo,
        "QZO_calibrated": qzo_calibrated,
        "ZTF_all_QSO": any_qso(frame),
        "QZO inside the labels": qzo & inside,
        "QZO_calibrated inside the labels": qzo_calibrated & inside,
    }


class SkyCounts:
    """Counts over the per-object table, accumulated shard by shard: QSO candidates per cut
    and threshold (Table 4, Fig. 9), a HEALPix density map of QZO, and truth comparisons."""

    def __init__(self, cfg: dict, truth: SkyTruth | None):
        self.cfg, self.truth = cfg, truth
        self.thresholds = list(cfg["thresholds"])
        self.grid = np.linspace(0, 1, 101)[:-1]
        self.table4: dict = {}
        self.curves: dict = {}
        self.sky: dict = {}  # QZO objects per pixel of order skymap_order
        self.footprint: set[int] = set()  # pixels holding any object
        self.truth_counts = {k: np.zeros(3, np.int64) for k in TRUTH_CATALOGS}
        # Objects per kind (class: variability type) in each catalog and each population.
        self.kind_counts: dict[str, pd.Series] = {
            k: pd.Series(dtype=np.int64) for k in (*TRUTH_CATALOGS, *TRUTH_CATALOGS.values())
        }
        # Per selection and magnitude bin: objects, Σ p_WISE_QSO, Σ p_WISE_cal_QSO, true QSOs.
        self.mag_edges = np.asarray(cfg["calibration_mag_edges"], np.float64)
        self.calibration = {
            k: np.zeros((len(self.mag_edges) + 1, 4)) for k in CALIBRATION_SELECTIONS
        }
        # Per source: the sources each catalog selects (any of their objects), by class, and
        # the QSO sources with a light curve that survived preprocessing.
        self.selected_sources: dict[str, set] = {k: set() for k in self.truth_counts}
        self.preprocessed_qso_sources: set = set()

    def add(self, frame: pd.DataFrame) -> None:
        eligible = ~frame["is_duplicate"].to_numpy(bool)  # QZO's population: non-duplicates
        is_qso = (
            None
            if self.truth is None
            else self.truth.classes.reindex(frame["ID"]).to_numpy() == "qso"
        )
        kept = frame[eligible]
        p = kept["p_WISE_QSO"].to_numpy()
        for name, keep in data_cuts(kept, self.cfg).items():
            counts = [(p[keep] > t).sum() for t in self.thresholds]
            self.table4[name] = np.add(self.table4.get(name, 0), counts)
            curve = [(p[keep] > t).sum() for t in self.grid]
            self.curves[name] = np.add(self.curves.get(name, 0), curve)
        qzo = qzo_selection(frame, self.cfg)
        qzo_calibrated = qzo_selection(frame, self.cfg, CALIBRATED_QZO_PROBABILITY)
        self._add_calibration(
            frame,
            {"QZO": qzo, "QZO_calibrated": qzo_calibrated, "all non-duplicates": eligible},
            eligible,
            is_qso,
        )
        order = self.cfg["skymap_order"]
        pixels = frame[HEALPIX_29].to_numpy() >> (2 * (29 - order))
        self.footprint.update(int(k) for k in sorted_unique(pixels))
        for k, n in zip(*np.unique(pixels[qzo], return_counts=True), strict=True):
            self.sky[int(k)] = self.sky.get(int(k), 0) + int(n)
        if self.truth is not None and is_qso is not None:
            source = self.truth.sources.reindex(frame["ID"]).to_numpy()
            self.preprocessed_qso_sources.update(source[is_qso].tolist())
            kinds = self.truth.kinds.reindex(frame["ID"]).to_numpy()
            populations = {"non-duplicates": eligible, "all objects": np.ones(len(frame), bool)}
            catalogs = truth_selections(frame, self.cfg)
            for name, chosen in {**catalogs, **populations}.items():
                found = pd.Series(kinds[chosen]).value_counts()
                self.kind_counts[name] = self.kind_counts[name].add(found, fill_value=0)
            for name, chosen in catalogs.items():
                universe = populations[TRUTH_CATALOGS[name]]
                # [true positives, selected, true QSOs in the population]
                self.truth_counts[name] += [
                    int((chosen & is_qso).sum()),
                    int(chosen.sum()),
                    int((universe & is_qso).sum()),
                ]
                self.selected_sources[name].update(source[chosen].tolist())

    def _add_calibration(
        self,
        frame: pd.DataFrame,
        selections: dict[str, np.ndarray],
        eligible: np.ndarray,
        is_qso: np.ndarray | None,
    ) -> None:
        bins = np.digitize(frame["mag_median"].to_numpy(), self.mag_edges)
        values = np.stack(
            [
                np.ones(len(frame)),
                frame["p_WISE_QSO"].to_numpy(np.float64),
                frame[CALIBRATED_QZO_PROBABILITY].to_numpy(np.float64),
                np.zeros(len(frame)) if is_qso is None else is_qso,
            ],
            axis=1,
        )
        for name, chosen in selections.items():
            rows = chosen & eligible
            np.add.at(self.calibration[name], bins[rows], values[rows])


def contaminants_table(counts: SkyCounts) -> pd.DataFrame:
    """Simulated sky: what each catalog holds, by kind of source (class: variability type),
    most rows first: its rows of that kind, their share of the catalog, the kind's objects in
    the population the catalog selects from, and the share of them it selected."""
    rows = []
    for catalog, population in TRUTH_CATALOGS.items():
        selected = counts.kind_counts[catalog]
        total = selected.sum()
        available = counts.kind_counts[population]
        for kind, n in sorted(selected[selected > 0].items(), key=lambda kn: (-kn[1], kn[0])):
            rows.append(
                {
                    "catalog": catalog,
                    "kind": kind,
                    "rows": int(n),
                    "share_of_catalog": n / total,
                    "in_population": int(available.get(kind, 0)),
                    "share_selected": _share(n, available.get(kind, 0)),
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "catalog",
            "kind",
            "rows",
            "share_of_catalog",
            "in_population",
            "share_selected",
        ],
    )


def calibration_table(counts: SkyCounts) -> pd.DataFrame:
    """Per selection (QZO, QZO_calibrated, every non-duplicate object) and magnitude bin (and
    over all magnitudes): the QSO share the raw ``p_WISE_QSO`` and the calibrated
    ``p_WISE_cal_QSO`` predict (their mean) and, on the simulated sky, the true one (purity);
    and the share of the bin's QSOs the selection keeps, predicted by each probability (its sum
    over the selection over its sum over all non-duplicates) and true (completeness)."""
    edges = counts.mag_edges
    labels = [f"< {edges[0]:g}"]
    labels += [f"{lo:g}–{hi:g}" for lo, hi in itertools.pairwise(edges)]
    labels += [f"≥ {edges[-1]:g}"]
    universe = counts.calibration["all non-duplicates"]
    rows = []
    for name in CALIBRATION_SELECTIONS:
        table = counts.calibration[name]
        for label, values, whole in (
            *zip(labels, table, universe, strict=True),
            ("all", table.sum(0), universe.sum(0)),
        ):
            n, p_raw, p_cal, true = values
            if n == 0:
                continue
            row = {
                "selection": name,
                "mag_median": label,
                "n": int(n),
                "predicted_purity_raw": p_raw / n,
                "predicted_purity_calibrated": p_cal / n,
            }
            if counts.truth is not None:
                row["true_purity"] = true / n
            row["predicted_completeness_raw"] = _share(p_raw, whole[1])
            row["predicted_completeness_calibrated"] = _share(p_cal, whole[2])
            if counts.truth is not None:
                row["true_completeness"] = _share(true, whole[3])
            rows.append(row)
    return pd.DataFrame(rows)


def count_sky(hats: StrPath, cfg: dict, truth: SkyTruth | None) -> SkyCounts:
    """:class:`SkyCounts` over the catalog's HATS copy of every object (the directory ``hats``),
    one shard file at a time."""
    counts = SkyCounts(cfg, truth)
    for path in sorted((Path(hats) / "dataset").rglob("Npix=*.parquet")):
        counts.add(pq.read_table(path, columns=_SKY_COLUMNS).to_pandas())
    return counts


def table4(counts: SkyCounts, test: pd.DataFrame) -> pd.DataFrame:
    """Table 4: per data cut, the ZTF × WISE model's QSO F1 and accuracy on the test split's
    objects the cut keeps (as in the paper), and the QSO candidates (non-duplicates) over the
    sky above each minimum p_WISE_QSO."""
    scores = scores_by_cut(test, counts.cfg, "WISE_").set_index("cut")
    cuts = list(counts.table4)
    table = pd.DataFrame(
        {
            "qso_f1": scores.loc[cuts, "qso_f1_subset"].to_numpy(),
            "accuracy": scores.loc[cuts, "accuracy_subset"].to_numpy(),
            **{
                f"p_WISE_QSO>{t:g}": [int(counts.table4[c][k]) for c in cuts]
                for k, t in enumerate(counts.thresholds)
            },
        },
        index=pd.Index(cuts, name="cut"),
    )
    return table.reset_index()


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


def reference_classes(
    predictions: pd.DataFrame, inputs: pd.DataFrame, features: Sequence[str], settings: XGBSettings
) -> pd.Series:
    """XGBoost on ``features`` of ``inputs`` (by objectid; ``mag_median`` may come from
    ``predictions``, ``xgb_train``'s training predictions), trained on the train split, early
    stopping on the val split; its classes for the test split's objectids. On the simulated
    sky: the oracle (:func:`read_truth_variability`, :data:`ORACLE_FEATURES`) and the likelihood
    model (:func:`read_light_curve_likelihoods`, :data:`LIKELIHOOD_FEATURES`).

    The simulator draws each class's variability parameters from ranges no other class shares
    (:func:`qzo.simulate.variability.assign_variability`), so the oracle recovers the class
    from the parameters alone, however faint or short the light curve: it checks that the
    labels and the truth agree, and is no ceiling on what the noisy light curves hold. The
    likelihood model sees only the light curves, through the simulator's stochastic
    processes."""
    table = _reference_table(predictions, inputs)
    split = table["split"]
    model = fit_classifier(
        table[split == "train"], table[split == "val"], features, "label", settings
    )
    test = table[split == "test"]
    return pd.Series(predict_proba(model, test).argmax(1), index=test["objectid"].to_numpy())


def cross_fitted_reference_classes(
    models: pd.DataFrame,
    predictions: pd.DataFrame,
    inputs: pd.DataFrame,
    features: Sequence[str],
    settings: XGBSettings,
) -> np.ndarray:
    """The reference model of :func:`reference_classes` cross-fitted on the folds of
    ``models`` (``xgb_train``'s cross-fitted train-split classes: objectid, fold), early
    stopping on the val split of ``predictions``: its out-of-fold classes in the order of
    ``models``."""
    train = models[["objectid", "fold"]].merge(
        predictions[predictions["split"] == "train"], on="objectid", how="left", validate="1:1"
    )
    val = predictions[predictions["split"] == "val"]
    table = _reference_table(pd.concat([train, val], ignore_index=True), inputs)
    return cross_fitted_classes(table, features, settings)


def _reference_table(predictions: pd.DataFrame, inputs: pd.DataFrame) -> pd.DataFrame:
    """``predictions`` with the reference model's ``inputs`` (by objectid) and the class
    labels."""
    table = predictions.join(inputs, on="objectid")
    table["label"] = class_labels(table)
    return table


#: The likelihood model's features: each light curve's log marginal likelihood under each of
#: the simulated sky's damped random walks, over a constant source's, and the magnitude.
LIKELIHOOD_FEATURES = [*(f"ll_{name}" for name in drw_processes()), "mag_median"]


def read_light_curve_likelihoods(
    training_set: StrPath, splits: Sequence[str] = ("train", "val", "test")
) -> pd.DataFrame:
    """``ll_<process>`` (:func:`qzo.lightcurves.likelihood.table_log_likelihoods` under
    :func:`qzo.simulate.variability.drw_processes`) of the training set's light curves in
    ``splits``, by objectid."""
    light_curves = pq.read_table(
        training_set,
        columns=["objectid", "mjd", "mag", "magerr"],
        filters=[("split", "in", list(splits))],
    )
    return table_log_likelihoods(light_curves, drw_processes())


def read_reference_inputs(
    truth_sources: StrPath,
    truth_objects: StrPath,
    training_set: StrPath,
    splits: Sequence[str] = ("train", "val", "test"),
) -> dict[str, tuple[pd.DataFrame, list[str]]]:
    """The simulated sky's reference models, name → (inputs by objectid, features): the
    ``oracle`` and the ``likelihood`` model (the latter for the light curves in ``splits``)."""
    return {
        "oracle": (read_truth_variability(truth_sources, truth_objects), ORACLE_FEATURES),
        "likelihood": (read_light_curve_likelihoods(training_set, splits), LIKELIHOOD_FEATURES),
    }


#: The paired differences the light-curve table gives per bin, by column prefix: the catalog's
#: model (both sources) minus the shallow statistics alone.
PAIRED_MODELS = {"both_minus_shallow": ("deep + shallow", "shallow")}


def light_curve_model_table(
    models: pd.DataFrame, cfg: dict, differences: Mapping[str, tuple[str, str]] = PAIRED_MODELS
) -> pd.DataFrame:
    """QSO F1 of each light-curve model (columns of ``models`` besides objectid, n_obs,
    mag_median and label: predicted classes of the same objects) over all objects and in bins
    of ``n_obs`` and of magnitude (``compare_n_obs_edges``, ``compare_mag_edges``); for each
    ``differences`` entry (prefix → (model, reference)) whose models are both columns, the 95 %
    bootstrap interval of model minus reference in each bin (``<prefix>_low``/``_high``,
    paired: both scored on the same resamples of the objects)."""
    names = [c for c in models.columns if c not in _MODEL_TABLE_KEYS]
    is_qso = models["label"].to_numpy() == QSO
    cells = {"all": np.ones(len(models), bool)}
    for axis, column, key in (
        ("n_obs", "n_obs", "compare_n_obs_edges"),
        ("g", "mag_median", "compare_mag_edges"),
    ):
        edges = cfg[key]
        index = np.digitize(models[column].to_numpy(), edges) - 1
        for k in range(len(edges) - 1):
            cells[f"{axis} {edges[k]:g}–{edges[k + 1]:g}"] = index == k
    differences = {p: pair for p, pair in differences.items() if set(pair) <= set(names)}
    paired = sorted({m for pair in differences.values() for m in pair})
    predicted_qso = {m: models[m].to_numpy() == QSO for m in paired}
    boot = f1_bootstrap(
        {
            f"{m}: {cell_name}": (is_qso & cell, predicted_qso[m] & cell)
            for cell_name, cell in cells.items()
            for m in paired
        }
    )
    rows = []
    for name, cell in cells.items():
        row: dict = {"bin": name, "n": int(cell.sum()), "qsos": int(is_qso[cell].sum())}
        for model in names:
            predicted = models[model].to_numpy()[cell] == QSO
            row[model] = binary_scores(is_qso[cell], predicted)["f1"]
        for prefix, (model, reference) in differences.items():
            difference = boot[f"{model}: {name}"] - boot[f"{reference}: {name}"]
            row[f"{prefix}_low"], row[f"{prefix}_high"] = interval(difference)
        rows.append(row)
    return pd.DataFrame(rows)


def read_truth(truth_sources: StrPath, truth_objects: StrPath) -> SkyTruth:
    """The simulated truth (:class:`SkyTruth`) from the simulator's source and object tables
    (every light curve in the input files is an object)."""
    sources = pd.read_parquet(truth_sources, columns=["source_id", "class", "var_type"])
    objects = pd.read_parquet(truth_objects, columns=["objectid", "source_id"])
    by_source = sources.set_index("source_id").reindex(objects["source_id"])
    cls = by_source["class"].astype(str).to_numpy()
    classes = pd.Series(cls, index=objects["objectid"])
    kinds = pd.Series(
        cls + ": " + by_source["var_type"].astype(str).to_numpy(), index=classes.index
    )
    source = pd.Series(objects["source_id"].to_numpy(), index=objects["objectid"])
    return SkyTruth(classes, source, set(source[classes == "qso"].tolist()), kinds)


def truth_table(counts: SkyCounts, test: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """Both catalogs against the simulated truth, beside what the same selection scores on the
    labelled test split. Per object (a source has one objectid per field and quadrant): purity,
    and completeness over the true-QSO objects that survived preprocessing (for QZO, the
    non-duplicates among them: duplicates are never eligible). Per source (selected when any of
    its objects is): purity, and completeness over the QSO sources with a preprocessed light
    curve and over those with any light curve in the input files."""
    if counts.truth is None:
        raise ValueError("the truth table needs the simulated truth")
    qso_sources = counts.truth.input_qso_sources
    rows = []
    is_qso = class_labels(test) == QSO
    selections = truth_selections(test, cfg)
    for name, (tp, selected, n_true) in counts.truth_counts.items():
        chosen = counts.selected_sources[name]
        found = len(chosen & qso_sources)
        universe = slice(None) if name == "ZTF_all_QSO" else ~test["is_duplicate"].to_numpy(bool)
        split = binary_scores(is_qso[universe], selections[name][universe])
        rows.append(
            {
                "catalog": name,
                "rows": selected,
                "purity_objects": tp / selected if selected else np.nan,
                "completeness_objects": tp / n_true if n_true else np.nan,
                "f1_objects": 2 * tp / (selected + n_true) if (selected + n_true) else np.nan,
                "sources": len(chosen),
                "purity_sources": found / len(chosen) if chosen else np.nan,
                "completeness_sources_preprocessed": _share(
                    found, len(counts.preprocessed_qso_sources)
                ),
                "completeness_sources_input": _share(found, len(qso_sources)),
                "test_purity": split["purity"],
                "test_completeness": split["completeness"],
                "test_f1": split["f1"],
            }
        )
    return pd.DataFrame(rows)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else np.nan


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
        "split, per data cut. QSO fraction: the share of the test split's QSOs the cut keeps; "
        "QSO F1 full sample: over the whole test split, the QSOs the cut removes counted as "
        "missed; QSO F1 and accuracy (three classes) subset: over the objects the cut keeps "
        f"(n); qso_f1_subset_low/high: the subset F1's 95 % interval over {BOOTSTRAP_RESAMPLES:,} "
        "bootstrap resamples of the test split; minus_none_low/high: that of the subset F1 minus "
        "the uncut F1 on the same resamples (an interval above 0 is a measured rise)."
    )
