"""Stage of ``rules/evaluate.smk``: the paper's tables and figures, and on the simulated sky the
catalogs' true purity and completeness."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from qzo.config.settings import XGBSettings
from qzo.io import StrPath
from qzo.io.atomic import write_json_atomic
from qzo.models.calibration import apply_calibration
from qzo.models.metrics import BOOTSTRAP_RESAMPLES, redshift_scores
from qzo.models.xgb import QSO
from qzo.products import figures
from qzo.products.evaluate import (
    calibration_table,
    class_labels,
    contaminants_table,
    count_sky,
    cross_fitted_reference_classes,
    light_curve_model_table,
    read_reference_inputs,
    read_truth,
    reference_classes,
    table1,
    table1_caption,
    table4,
    truth_table,
    write_table,
)

CAPTIONS = {
    "table3": "Table 3. QSO F1 and accuracy on the test split for each feature set (missing "
    "survey features left to XGBoost); qso_f1_low/high: its 95 % interval over "
    f"{BOOTSTRAP_RESAMPLES:,} bootstrap "
    "resamples of the test objects; minus_shallow_low/high (when SHALLOW is a row): the same for "
    "the row's QSO F1 minus SHALLOW's on each resample (paired: an interval holding 0 is no "
    "measured difference).",
    "table4": "Table 4. Per data cut, the ZTF × WISE model's QSO F1 and three-class accuracy "
    "on the test split's objects the cut keeps, and the QSO candidates (non-duplicates) over "
    "the sky above each minimum p_WISE_QSO.",
    "stacking": "Out-of-fold vs in-sample light-curve probabilities as XGBoost inputs: "
    "test-split scores.",
    "contaminants": "Simulated sky: what each catalog holds, by kind of source (its true "
    "class and variability type), most rows first: rows of that kind, their share of the "
    "catalog, the kind's objects in the population the catalog selects from (QZO and "
    "QZO_calibrated: the non-duplicates; ZTF_all_QSO: every object) and the share of them "
    "selected.",
    "truth": "Simulated sky: the catalogs' true purity and completeness (QZO_calibrated: the "
    "QZO cuts on the calibrated p_WISE_cal_QSO), per object (over the "
    "true-QSO objects that survived preprocessing; for QZO the non-duplicates) and per source "
    "(a source is selected when any of its objects is; over the QSO sources with a preprocessed "
    "light curve, and with any light curve in the input), beside the same selection's scores "
    "on the labelled test split.",
    "calibration": "The QSO share (purity) and the share of QSOs kept (completeness) of QZO, "
    "of QZO_calibrated (the same cuts on p_WISE_cal_QSO) and of every non-duplicate object, "
    "per bin of mag_median: predicted by the raw p_WISE_QSO and by the calibrated "
    "p_WISE_cal_QSO (mean; sum over the selection's / the bin's), and on the simulated sky "
    "true.",
    "light_curve_models": "Light-curve models on the test split: QSO F1 of the transformer "
    "alone (argmax), XGBoost on its probabilities (deep), on the shallow light-curve "
    "statistics and on both (each with mag_median), and on the simulated sky the oracle "
    "(XGBoost on the true variability parameters + mag_median: a check of labels against "
    "truth, not a ceiling) and the likelihood model (XGBoost on each light curve's log "
    "marginal likelihood under the simulated QSO, AGN-galaxy and red-noise-star damped random "
    "walks over a constant source's + mag_median), over all objects and per bin "
    "of n_obs and of magnitude; both_minus_shallow_low/high: the 95 % bootstrap interval of "
    "the catalog's model (both) minus shallow in each bin, on the same resamples (an interval "
    "holding 0 is no measured difference).",
    "cross_fitted": "Light-curve models cross-fitted on every train-split object: QSO F1 of the "
    "transformer alone (argmax of the classifier of the object's fold, which did not train on "
    "it), of XGBoost on its probabilities (deep), on the shallow light-curve statistics and "
    "on both (by default the catalog's light-curve model), each with mag_median, and on the "
    "simulated sky of the oracle and the likelihood model, each fitted without the object's fold "
    "(early stopping on the val split), over all objects and per bin of n_obs and of "
    "magnitude; <model>_minus_<reference>_low/high: the 95 % bootstrap interval of the paired "
    "difference in each bin. Several times the test split's objects, each model learning from "
    "(k - 1)/k of the train split.",
}

#: The cross-fitted table's paired differences: the transformer against the shallow statistics
#: and the likelihood model, and the catalog's light-curve model (both) against each source.
CROSS_FITTED_DIFFERENCES = {
    "transformer_minus_shallow": ("transformer", "shallow"),
    "transformer_minus_likelihood": ("transformer", "likelihood"),
    "both_minus_transformer": ("deep + shallow", "transformer"),
    "both_minus_shallow": ("deep + shallow", "shallow"),
}


def evaluate(
    *,
    training_predictions: StrPath,
    calibration: StrPath,
    experiments: StrPath,
    light_curve_models: StrPath,
    cross_fitted_models: StrPath,
    stacking: StrPath,
    importance: StrPath,
    hats: StrPath,
    settings: dict,
    table1_csv: StrPath,
    table1_md: StrPath,
    table3_csv: StrPath,
    table3_md: StrPath,
    table4_csv: StrPath,
    table4_md: StrPath,
    stacking_csv: StrPath,
    stacking_md: StrPath,
    light_curve_models_csv: StrPath,
    light_curve_models_md: StrPath,
    cross_fitted_csv: StrPath,
    cross_fitted_md: StrPath,
    calibration_csv: StrPath,
    calibration_md: StrPath,
    fig_light_curve_models: StrPath,
    fig3: StrPath,
    fig7: StrPath,
    fig8: StrPath,
    fig9: StrPath,
    skymap: StrPath,
    summary: StrPath,
    truth_sources: StrPath | None = None,
    truth_objects: StrPath | None = None,
    training_set: StrPath | None = None,
    truth_csv: StrPath | None = None,
    truth_md: StrPath | None = None,
    contaminants_csv: StrPath | None = None,
    contaminants_md: StrPath | None = None,
) -> dict:
    """Tables 1, 3, 4, the stacking comparison and the light-curve models on the test split and
    cross-fitted on the train split (CSV and Markdown), Figures 3, 7, 8, 9 and
    a QZO sky map, and a summary. Test-split scores come from ``xgb_train``'s
    ``training_predictions``, sky counts from the catalog's HATS copy ``hats``. With the
    simulated truth (``truth_sources``, ``truth_objects``) also the ``truth`` and
    ``contaminants`` tables. ``settings`` is the config section ``evaluate`` plus ``catalog``,
    ``xgb`` (the catalog's light-curve features, and the oracle's settings) and ``threads``."""
    preds = apply_calibration(
        pd.read_parquet(training_predictions), json.loads(Path(calibration).read_text())
    )
    test = preds[preds["split"] == "test"].reset_index(drop=True)
    truth = None
    if truth_sources is not None and truth_objects is not None:
        truth = read_truth(truth_sources, truth_objects)
    counts = count_sky(hats, settings, truth)

    scores_by_cut = table1(test, settings)
    write_table(scores_by_cut, table1_csv, table1_md, table1_caption(settings))
    write_table(pd.read_csv(experiments), table3_csv, table3_md, CAPTIONS["table3"])
    write_table(table4(counts, test), table4_csv, table4_md, CAPTIONS["table4"])
    write_table(pd.read_csv(stacking), stacking_csv, stacking_md, CAPTIONS["stacking"])
    checked = calibration_table(counts)
    write_table(checked, calibration_csv, calibration_md, CAPTIONS["calibration"])
    figures.figure3(test, fig3, settings)
    figures.figure7(pd.read_csv(importance), fig7)
    figures.figure8(test, fig8)
    figures.figure9(counts, fig9)
    figures.sky_map(counts, skymap, settings["skymap_order"])
    models = pd.read_parquet(light_curve_models)
    cross_fitted = pd.read_parquet(cross_fitted_models)
    if truth_sources is not None and truth_objects is not None and training_set is not None:
        xgb = XGBSettings.from_config(settings["xgb"], threads=settings["threads"])
        references = read_reference_inputs(truth_sources, truth_objects, training_set)
        for name, (inputs, features) in references.items():
            classes = reference_classes(preds, inputs, features, xgb)
            models[name] = classes.reindex(models["objectid"]).to_numpy()
            cross_fitted[name] = cross_fitted_reference_classes(
                cross_fitted, preds, inputs, features, xgb
            )
    by_bin = light_curve_model_table(models, settings)
    write_table(
        by_bin, light_curve_models_csv, light_curve_models_md, CAPTIONS["light_curve_models"]
    )
    cross_fitted_by_bin = light_curve_model_table(
        cross_fitted.drop(columns="fold"), settings, CROSS_FITTED_DIFFERENCES
    )
    write_table(cross_fitted_by_bin, cross_fitted_csv, cross_fitted_md, CAPTIONS["cross_fitted"])
    figures.light_curve_models_figure(by_bin, fig_light_curve_models)
    with_redshift = test[(class_labels(test) == QSO) & test["redshift"].notna()]
    result = {
        "test_rows": len(test),
        "redshift": redshift_scores(with_redshift["z"], with_redshift["redshift"]),
        "table1": scores_by_cut.to_dict("records"),
        "light_curve_models": by_bin.to_dict("records"),
        "cross_fitted": cross_fitted_by_bin.to_dict("records"),
        "calibration": checked.to_dict("records"),
    }
    if truth is not None:
        if (
            truth_csv is None
            or truth_md is None
            or contaminants_csv is None
            or contaminants_md is None
        ):
            raise ValueError(
                "the simulated sky's truth tables need truth_csv, truth_md, contaminants_csv "
                "and contaminants_md"
            )
        truth_rows = truth_table(counts, test, settings)
        write_table(truth_rows, truth_csv, truth_md, CAPTIONS["truth"])
        result["truth"] = truth_rows.to_dict("records")
        kinds = contaminants_table(counts)
        write_table(kinds, contaminants_csv, contaminants_md, CAPTIONS["contaminants"])
        result["contaminants"] = kinds.to_dict("records")
    write_json_atomic(result, summary)
    return result
