"""The XGBoost ensembles of METHOD.md §5: classifiers on the light-curve probabilities, the ZTF
median magnitude and the other surveys' features, and the photometric-redshift regressor.

Missing survey values stay NaN (XGBoost learns a default branch for them). Every model stops
early on the validation split and is saved in XGBoost's JSON format.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qzo.config.settings import XGBSettings
from qzo.io import StrPath
from qzo.io.atomic import atomic_path
from qzo.lightcurves.crossmatch import GAIA, PS1, WISE
from qzo.lightcurves.features import feature_names

CLASS_NAMES = ("galaxy", "QSO", "star")
QSO = CLASS_NAMES.index("QSO")
LC_PROBABILITIES = [f"p_lc_{c}" for c in CLASS_NAMES]

# Feature sets by source; an experiment or a model is a list of them (a column in two sets
# counts once). ``ztf`` is the paper's light-curve set (the transformer's probabilities and the
# magnitude), ``shallow`` the light-curve statistics of qzo.lightcurves.features and the magnitude.
FEATURE_SETS = {
    "ztf": [*LC_PROBABILITIES, "mag_median"],
    "shallow": [*feature_names(), "mag_median"],
    "wise": WISE.features,
    "ps": PS1.features,
    "gaia": GAIA.features,
}
#: The catalog's classifiers: p_* (the light curve and magnitude), p_WISE_* (+ WISE).
CATALOG_CLASSIFIERS = ("ztf", "ztf_wise")
OUTPUT_PREFIX = {"ztf": "p_", "ztf_wise": "p_WISE_"}
#: The saved boosters: the catalog's classifiers and the photometric-redshift regressor.
MODEL_NAMES = [*CATALOG_CLASSIFIERS, "redshift"]
REDSHIFT_FEATURES = ["mag_median", *WISE.features]


def catalog_feature_sets(light_curve_sets: Sequence[str]) -> dict[str, list[str]]:
    """Each catalog classifier's feature sets, given the light-curve sets it uses
    (``xgb.catalog_light_curve_features``: ``["ztf"]`` is the paper's)."""
    return {"ztf": list(light_curve_sets), "ztf_wise": [*light_curve_sets, "wise"]}


def probability_columns(model: str) -> list[str]:
    """The catalog columns of a classifier's probabilities, e.g. ``p_WISE_QSO``."""
    return [f"{OUTPUT_PREFIX[model]}{c}" for c in CLASS_NAMES]


def features_of(sets: Iterable[str]) -> list[str]:
    """The feature columns of a list of feature-set names (e.g. ``["ztf", "wise"]``)."""
    unknown = sorted(set(sets) - set(FEATURE_SETS))
    if unknown:
        raise ValueError(f"unknown feature set(s) {unknown}; known: {sorted(FEATURE_SETS)}")
    return list(dict.fromkeys(f for s in sets for f in FEATURE_SETS[s]))


def booster_params(settings: XGBSettings) -> dict:
    """``xgboost.train`` parameters of the configured settings."""
    return {
        "max_depth": settings.max_depth,
        "eta": settings.learning_rate,
        "gamma": settings.gamma,
        "min_child_weight": settings.min_child_weight,
        "colsample_bytree": settings.colsample_bytree,
        "subsample": settings.subsample,
        "lambda": settings.reg_lambda,
        "seed": settings.seed,
        "nthread": settings.threads,
        "tree_method": "hist",
    }


def _matrix(frame: pd.DataFrame, features: Sequence[str], label: str | None = None) -> Any:
    """A DMatrix of the feature columns as float32 (names travel into the saved model);
    NaN is missing."""
    import xgboost as xgb

    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise KeyError(f"feature column(s) missing: {missing}")
    return xgb.DMatrix(
        frame[list(features)].astype(np.float32),
        label=None if label is None else frame[label].to_numpy(),
        missing=np.nan,
        nthread=1,
    )


def _fit(
    train: pd.DataFrame,
    val: pd.DataFrame,
    features: Sequence[str],
    label: str,
    objective: dict,
    settings: XGBSettings,
) -> Any:
    import xgboost as xgb

    dval = _matrix(val, features, label)
    return xgb.train(
        {**booster_params(settings), **objective},
        _matrix(train, features, label),
        num_boost_round=settings.n_estimators,
        evals=[(dval, "val")],
        early_stopping_rounds=settings.early_stopping_rounds,
        verbose_eval=False,
    )


def fit_classifier(
    train: pd.DataFrame,
    val: pd.DataFrame,
    features: Sequence[str],
    labels: str,
    settings: XGBSettings,
) -> Any:
    """Softmax classifier (binary: logistic) on ``features``; early stopping on ``val``."""
    n_classes = int(max(train[labels].max(), val[labels].max())) + 1
    if n_classes > 2:
        objective = {
            "objective": "multi:softprob",
            "num_class": n_classes,
            "eval_metric": "mlogloss",
        }
    else:
        objective = {"objective": "binary:logistic", "eval_metric": "logloss"}
    return _fit(train, val, features, labels, objective, settings)


def fit_regressor(
    train: pd.DataFrame,
    val: pd.DataFrame,
    features: Sequence[str],
    target: str,
    settings: XGBSettings,
) -> Any:
    """Squared-error regressor on ``features``; early stopping on ``val``'s RMSE."""
    objective = {"objective": "reg:squarederror", "eval_metric": "rmse"}
    return _fit(train, val, features, target, objective, settings)


def _predict(booster: Any, frame: pd.DataFrame) -> np.ndarray:
    """Predictions at the early-stopping iteration, on the booster's own features."""
    matrix = _matrix(frame, booster.feature_names)
    return booster.predict(matrix, iteration_range=(0, best_iteration(booster) + 1))


def predict_proba(booster: Any, frame: pd.DataFrame) -> np.ndarray:
    """(n, n_classes) class probabilities (a binary model gives (n, 2))."""
    if frame.empty:
        return np.zeros((0, len(CLASS_NAMES)), np.float32)
    p = _predict(booster, frame).astype(np.float32)
    return p if p.ndim == 2 else np.stack([1 - p, p], axis=1)


def predict_value(booster: Any, frame: pd.DataFrame) -> np.ndarray:
    if frame.empty:
        return np.zeros(0, np.float32)
    return _predict(booster, frame).astype(np.float32)


def predict_redshift(booster: Any, frame: pd.DataFrame) -> np.ndarray:
    """Photometric redshifts where an AllWISE counterpart exists (``wise_sep_arcsec``), NaN
    elsewhere."""
    redshift = np.full(len(frame), np.nan, np.float32)
    has_wise = frame["wise_sep_arcsec"].notna().to_numpy()
    redshift[has_wise] = predict_value(booster, frame[has_wise])
    return redshift


def best_iteration(booster: Any) -> int:
    return int(booster.attr("best_iteration") or booster.num_boosted_rounds() - 1)


def gain_importance(booster: Any) -> pd.Series:
    """Each feature's share of the total gain (features never split on get 0)."""
    score = booster.get_score(importance_type="total_gain")
    values = np.array([score.get(f, 0.0) for f in booster.feature_names])
    total = values.sum()
    return pd.Series(values / total if total else values, index=booster.feature_names)


def save_model(booster: Any, path: StrPath) -> Path:
    """The booster (feature names and best iteration included) as XGBoost JSON, atomically."""
    with atomic_path(path) as tmp:
        json_tmp = tmp.with_name(tmp.name + ".json")  # XGBoost picks the format by suffix
        booster.save_model(str(json_tmp))
        json_tmp.rename(tmp)
    return Path(path)


def load_model(path: StrPath) -> Any:
    """A booster written by :func:`save_model`."""
    import xgboost as xgb

    booster = xgb.Booster()
    booster.load_model(str(path))
    return booster
