"""Stage of ``rules/calibrate.smk``: class probabilities for the inference population."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from qzo.config.settings import XGBSettings
from qzo.errors import InputDataError
from qzo.io import StrPath
from qzo.io.atomic import write_json_atomic
from qzo.models.calibration import DOMAIN_COVARIATES, fit_calibration, read_inference_sample
from qzo.models.xgb import CATALOG_CLASSIFIERS, CLASS_NAMES, probability_columns
from qzo.products.evaluate import class_labels

log = logging.getLogger(__name__)


def calibrate(
    *,
    groups: Sequence[StrPath],
    training_predictions: StrPath,
    settings: dict,
    xgb: dict,
    threads: int,
    calibration: StrPath,
) -> dict:
    """Fit the calibration (``qzo.models.calibration``) on the labelled val split of
    ``training_predictions`` (out-of-sample for both catalog models) and a sample of the
    objects of ``xgb_infer``'s ``groups``; write it to ``calibration`` (JSON). ``settings`` is
    the config section ``calibration``, ``xgb`` the section ``xgb``."""
    columns = [
        *DOMAIN_COVARIATES,
        *(c for m in CATALOG_CLASSIFIERS for c in probability_columns(m)),
    ]
    labelled = pd.read_parquet(training_predictions)
    labelled = labelled[labelled["split"] == "val"].reset_index(drop=True)
    labels = class_labels(labelled)
    missing = [c for k, c in enumerate(CLASS_NAMES) if not np.any(labels == k)]
    if missing:
        raise InputDataError(
            training_predictions,
            f"rule calibrate: the val split has no {', '.join(missing)} object; the class "
            "priors need every class",
            column="class",
        )
    xgb_settings = XGBSettings.from_config(xgb, threads=threads)
    inference = read_inference_sample(
        list(groups), columns, settings["inference_sample"], xgb_settings.seed
    )
    result = fit_calibration(
        labelled,
        labels,
        inference,
        xgb_settings,
        folds=settings["folds"],
        max_weight=settings["max_weight"],
    )
    write_json_atomic(result, calibration)
    log.info("calibration: %s", result)
    return result
