"""What a full run would report on a sky too large for one on a workstation, with catalog
models on the shallow light-curve features: Table 1, and the calibration checked against the
simulated truth.

``python -m qzo.studies.shallow_catalog RESULTS_DIR --config CONFIG [CONFIG ...] --out DIR``
(RESULTS_DIR: a run with the training set, the feature tables and the simulated truth, e.g.
``snakemake results/labels/training_set.parquet results/preprocess/summary.json``; CONFIG: its
config files)

The transformer's stages are what makes a full run of ``config/science.yaml`` take days on two
cores. This study skips them: its two classifiers, standing in for the catalog's ZTF and
ZTF + WISE models, are XGBoost (the run's ``xgb`` settings) on the shallow light-curve features
+ ``mag_median``, and on those + WISE, trained on the train split and early-stopped on val.
Table 1 (``table1.csv``/``.md``) scores the ZTF stand-in on the test split per data cut, as
the workflow's Table 1 scores the catalog's ZTF model. Every object of the sky then gets both
stand-ins' probabilities and its ``label_distance`` (the run's ``catalog.label_support``); the
calibration is the workflow's (``qzo.models.calibration``, the run's ``calibration`` settings,
written to ``calibration.json``), and so is the check
(``qzo.products.evaluate.calibration_table``: ``calibration.csv``/``.md``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd

from qzo.config.settings import XGBSettings
from qzo.models.calibration import apply_calibration, fit_calibration
from qzo.models.support import fit_on_splits, label_distance
from qzo.models.xgb import features_of, fit_classifier, predict_proba, probability_columns
from qzo.products.catalog import LABEL_DISTANCE
from qzo.products.evaluate import (
    SkyCounts,
    calibration_table,
    class_labels,
    read_truth,
    scores_by_cut,
    write_table,
)
from qzo.studies import study_config, study_parser

#: The stand-ins for the catalog's models: shallow features (+ WISE), no transformer.
SHALLOW_CATALOG_MODELS = {"ztf": ["shallow"], "ztf_wise": ["shallow", "wise"]}


def shallow_catalog_predictions(
    labelled: pd.DataFrame, sky: pd.DataFrame, settings: XGBSettings
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``labelled`` (with ``label`` and ``split``) and ``sky`` with ``p_*`` and ``p_WISE_*``
    of :data:`SHALLOW_CATALOG_MODELS`, fitted on the train split, early-stopped on val."""
    train = labelled[labelled["split"] == "train"]
    val = labelled[labelled["split"] == "val"]
    labelled, sky = labelled.copy(), sky.copy()
    for model, sets in SHALLOW_CATALOG_MODELS.items():
        booster = fit_classifier(train, val, features_of(sets), "label", settings)
        labelled[probability_columns(model)] = predict_proba(booster, labelled)
        sky[probability_columns(model)] = predict_proba(booster, sky)
    return labelled, sky


def main(argv: Sequence[str] | None = None) -> None:
    args = study_parser(__doc__).parse_args(argv)
    config, settings = study_config(args)
    labels = pd.read_parquet(
        args.results / "labels" / "training_set.parquet", columns=["objectid", "class", "split"]
    )
    sky = pd.read_parquet(args.results / "features" / "dataset")
    labelled = labels.merge(sky, on="objectid", validate="one_to_one")
    labelled["label"] = class_labels(labelled)
    labelled, sky = shallow_catalog_predictions(labelled, sky, settings)
    fitted = fit_on_splits(labelled, config["catalog"]["label_support"])
    sky[LABEL_DISTANCE] = label_distance(fitted, sky)
    cuts = {**config["evaluate"], **config["catalog"]}
    args.out.mkdir(parents=True, exist_ok=True)
    write_table(
        scores_by_cut(labelled[labelled["split"] == "test"], cuts),
        args.out / "table1.csv",
        args.out / "table1.md",
        f"Table 1 of XGBoost on the shallow light-curve features + mag_median (no transformer; "
        f"the catalog's ZTF model without its transformer probabilities) on {args.results}'s "
        "test split; columns as results/evaluate/table1.csv.",
    )

    section = config["calibration"]
    eligible = sky[~sky["is_duplicate"].to_numpy(bool)]
    sample = eligible.sample(n=min(len(eligible), section["inference_sample"]), random_state=0)
    val = labelled[labelled["split"] == "val"].reset_index(drop=True)
    calibration = fit_calibration(
        val,
        val["label"].to_numpy(),
        sample,
        settings,
        folds=section["folds"],
        max_weight=section["max_weight"],
    )
    simulated = args.results / "simulated" / "truth"
    truth = read_truth(simulated / "sources.parquet", simulated / "objects.parquet")
    counts = SkyCounts(cuts, truth)
    counts.add(apply_calibration(sky, calibration).rename(columns={"objectid": "ID"}))
    caption = (
        f"Calibration check with shallow-feature catalog models (no transformer) on "
        f"{args.results}: {calibration['labelled_rows']} val rows (effective "
        f"{calibration['effective_labelled_rows']:.0f}), {calibration['inference_rows']} sky "
        "objects sampled; columns as results/evaluate/calibration.csv."
    )
    out = args.out / "calibration.md"
    write_table(calibration_table(counts), out.with_suffix(".csv"), out, caption)
    out.with_suffix(".json").write_text(json.dumps(calibration, indent=2) + "\n")
    print((args.out / "table1.md").read_text(), out.read_text(), sep="\n")


if __name__ == "__main__":
    main()
