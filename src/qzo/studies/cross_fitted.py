"""The transformer against the shallow light-curve statistics on every train-split object of a
run, from its cross-fitting folds.

``python -m qzo.studies.cross_fitted RESULTS_DIR --config CONFIG [CONFIG ...] --out DIR``
(RESULTS_DIR: a run with the training set, the feature tables and every cross-fitting fold's
predictions, e.g. ``snakemake results/astromer/folds/fold0/predictions.parquet …``; CONFIG: its
config files, for the ``xgb`` settings and the ``evaluate`` bins)

The test split holds a tenth of the labels, too few to tell a few points of QSO F1 apart
(± 0.03 on the science sky's 3,142 test objects). The cross-fitting folds classify every
train-split object with a transformer that did not train on it. XGBoost on the shallow
statistics + ``mag_median`` (Table 3's SHALLOW), fitted on the same folds (each fold's model
without that fold, early-stopped on the val split, as the fold's transformer was), classifies
the same objects, so the two are compared object by object on eight times the test split: QSO
F1 over all objects and per bin of ``n_obs`` and magnitude (the light-curve table's), with the
95 % bootstrap interval of the paired difference. On the simulated sky the oracle (XGBoost on
the true variability parameters, cross-fitted the same way) checks that labels and truth agree
(:func:`qzo.products.evaluate.reference_classes` says why it is no ceiling). Both learn from
(k - 1)/k of the train split, so the comparison is at that training size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from qzo.config.settings import XGBSettings
from qzo.models.xgb import LC_PROBABILITIES, features_of, fit_classifier, predict_proba
from qzo.products.evaluate import (
    light_curve_model_table,
    read_reference_inputs,
    write_table,
)
from qzo.studies import study_config, study_parser

#: The paired differences the table gives per bin.
DIFFERENCES = {
    "transformer_minus_shallow": ("transformer", "shallow"),
    "transformer_minus_likelihood": ("transformer", "likelihood"),
}


def cross_fitted_classes(
    table: pd.DataFrame, features: Sequence[str], settings: XGBSettings
) -> np.ndarray:
    """Out-of-fold classes of XGBoost on ``features`` for the train-split rows of ``table``
    (columns ``split``, ``fold``, ``label`` and the features), in their order: each fold's by a
    model fitted on the other folds' train rows, early-stopped on the val split."""
    train = table[table["split"] == "train"]
    val = table[table["split"] == "val"]
    folds = train["fold"].to_numpy()
    classes = np.full(len(train), -1)
    for fold in np.unique(folds):
        held = folds == fold
        model = fit_classifier(train[~held], val, features, "label", settings)
        classes[held] = predict_proba(model, train[held]).argmax(1)
    return classes


def out_of_fold_transformer(train_ids: pd.Series, fold_files: Sequence[Path]) -> np.ndarray:
    """The folds' transformer classes (argmax of ``p_lc_*``) for ``train_ids``, in their order;
    every train-split object must be in exactly one fold's predictions."""
    folds = pd.concat([pd.read_parquet(p) for p in fold_files]).set_index("objectid")
    if not folds.index.is_unique or set(folds.index) != set(train_ids):
        raise ValueError(
            f"{', '.join(map(str, fold_files))}: the folds hold {len(folds)} rows "
            f"({folds.index.nunique()} distinct) for {len(train_ids)} train-split objects"
        )
    return folds.loc[train_ids, LC_PROBABILITIES].to_numpy().argmax(1)


def cross_fitted_models(
    labelled: pd.DataFrame,
    fold_files: Sequence[Path],
    settings: XGBSettings,
    references: Mapping[str, tuple[pd.DataFrame, Sequence[str]]] | None = None,
) -> pd.DataFrame:
    """The train split's objects (objectid, n_obs, mag_median, label) with each model's
    out-of-fold classes: ``transformer``, ``shallow`` and each of ``references`` (name →
    (inputs by objectid, features), e.g. the simulated sky's oracle and likelihood model:
    :func:`qzo.products.evaluate.read_reference_inputs`)."""
    train = labelled[labelled["split"] == "train"]
    models = train[["objectid", "n_obs", "mag_median", "label"]].reset_index(drop=True)
    models["transformer"] = out_of_fold_transformer(train["objectid"], fold_files)
    models["shallow"] = cross_fitted_classes(labelled, features_of(["shallow"]), settings)
    for name, (inputs, features) in (references or {}).items():
        table = labelled.join(inputs, on="objectid")
        models[name] = cross_fitted_classes(table, features, settings)
    return models


def main(argv: Sequence[str] | None = None) -> None:
    args = study_parser(__doc__).parse_args(argv)
    config, settings = study_config(args)
    labels = pd.read_parquet(
        args.results / "labels" / "training_set.parquet",
        columns=["objectid", "split", "fold", "label", "n_obs"],
    )
    features = pd.read_parquet(
        args.results / "features" / "dataset", columns=["objectid", *features_of(["shallow"])]
    )
    labelled = labels.merge(features, on="objectid", how="left", validate="one_to_one")
    fold_files = sorted((args.results / "astromer" / "folds").glob("fold*/predictions.parquet"))
    truth = args.results / "simulated" / "truth"
    references = None
    if (truth / "sources.parquet").exists():
        references = read_reference_inputs(
            truth / "sources.parquet",
            truth / "objects.parquet",
            args.results / "labels" / "training_set.parquet",
            splits=("train", "val"),
        )
    models = cross_fitted_models(labelled, fold_files, settings, references)
    table = light_curve_model_table(models, config["evaluate"], DIFFERENCES)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "cross_fitted.md"
    write_table(
        table,
        out.with_suffix(".csv"),
        out,
        f"Cross-fitted comparison on {args.results}'s {len(models)} train-split objects "
        f"({len(fold_files)} folds; each object classified by models that did not train on "
        "it): QSO F1 of the transformer alone (its fold's argmax), XGBoost on the shallow "
        "light-curve statistics + mag_median and, on the simulated sky, the oracle (true "
        "variability parameters + mag_median: a check of labels against truth, not a "
        "ceiling) and the likelihood model (each light curve's log marginal likelihood under "
        "the simulated QSO, AGN-galaxy and red-noise-star damped random walks over a constant "
        "source, + mag_median: the Bayes classifier of the simulator's stochastic processes), "
        "each fitted without the object's fold; <a>_minus_<b>_low/high: the 95 % bootstrap "
        "interval of the paired difference in each bin.",
    )
    print(out.read_text())


if __name__ == "__main__":
    main()
