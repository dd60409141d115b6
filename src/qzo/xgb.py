"""The XGBoost ensembles of METHOD.md §5: classifiers on the light-curve probabilities, the ZTF
median magnitude and the other surveys' features, and the photometric-redshift regressor.

Missing survey values stay NaN (XGBoost learns a default branch for them). Every model stops
early on the validation split and is saved in XGBoost's JSON format.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .crossmatch import GAIA, PS1, WISE
from .io import atomic_path

CLASS_NAMES = ("galaxy", "QSO", "star")
QSO = CLASS_NAMES.index("QSO")
LC_PROBABILITIES = [f"p_lc_{c}" for c in CLASS_NAMES]

# Feature sets by survey; an experiment or a model is a list of them.
FEATURE_SETS = {
    "ztf": [*LC_PROBABILITIES, "mag_median"],
    "wise": WISE.features,
    "ps": PS1.features,
    "gaia": GAIA.features,
}
# The catalog's models: p_* (light curve + magnitude), p_WISE_* (+ WISE), and the redshift.
CATALOG_MODELS = {"ztf": ["ztf"], "ztf_wise": ["ztf", "wise"]}
OUTPUT_PREFIX = {"ztf": "p_", "ztf_wise": "p_WISE_"}
REDSHIFT_FEATURES = ["mag_median", *WISE.features]


def probability_columns(model: str) -> list[str]:
    """The catalog columns of a classifier's probabilities, e.g. ``p_WISE_QSO``."""
    return [f"{OUTPUT_PREFIX[model]}{c}" for c in CLASS_NAMES]


def features_of(sets) -> list[str]:
    """The feature columns of a list of feature-set names (e.g. ``["ztf", "wise"]``)."""
    unknown = sorted(set(sets) - set(FEATURE_SETS))
    if unknown:
        raise ValueError(f"unknown feature set(s) {unknown}; known: {sorted(FEATURE_SETS)}")
    return [f for s in sets for f in FEATURE_SETS[s]]


@dataclass(frozen=True)
class XGBSettings:
    """The config section ``xgb`` (the paper's parameters by default)."""

    n_estimators: int = 2000
    early_stopping_rounds: int = 20
    max_depth: int = 9
    learning_rate: float = 0.1
    gamma: float = 0.0
    min_child_weight: float = 1.0
    colsample_bytree: float = 0.9
    subsample: float = 0.8
    reg_lambda: float = 1.0
    seed: int = 0
    threads: int = 2

    @classmethod
    def from_config(cls, cfg: dict) -> XGBSettings:
        return cls(**{k: v for k, v in cfg.items() if k in cls.__dataclass_fields__})

    def params(self) -> dict:
        """Booster parameters (``xgboost.train``)."""
        return {
            "max_depth": self.max_depth,
            "eta": self.learning_rate,
            "gamma": self.gamma,
            "min_child_weight": self.min_child_weight,
            "colsample_bytree": self.colsample_bytree,
            "subsample": self.subsample,
            "lambda": self.reg_lambda,
            "seed": self.seed,
            "nthread": self.threads,
            "tree_method": "hist",
        }


def _matrix(frame: pd.DataFrame, features, label: str | None = None):
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


def _fit(train, val, features, label, objective: dict, settings: XGBSettings):
    import xgboost as xgb

    dval = _matrix(val, features, label)
    return xgb.train(
        {**settings.params(), **objective},
        _matrix(train, features, label),
        num_boost_round=settings.n_estimators,
        evals=[(dval, "val")],
        early_stopping_rounds=settings.early_stopping_rounds,
        verbose_eval=False,
    )


def fit_classifier(
    train: pd.DataFrame, val: pd.DataFrame, features, labels: str, settings: XGBSettings
):
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
    train: pd.DataFrame, val: pd.DataFrame, features, target: str, settings: XGBSettings
):
    """Squared-error regressor on ``features``; early stopping on ``val``'s RMSE."""
    objective = {"objective": "reg:squarederror", "eval_metric": "rmse"}
    return _fit(train, val, features, target, objective, settings)


def _predict(booster, frame: pd.DataFrame) -> np.ndarray:
    """Predictions at the early-stopping iteration, on the booster's own features."""
    matrix = _matrix(frame, booster.feature_names)
    return booster.predict(matrix, iteration_range=(0, best_iteration(booster) + 1))


def predict_proba(booster, frame: pd.DataFrame) -> np.ndarray:
    """(n, n_classes) class probabilities (a binary model gives (n, 2))."""
    if frame.empty:
        return np.zeros((0, len(CLASS_NAMES)), np.float32)
    p = _predict(booster, frame).astype(np.float32)
    return p if p.ndim == 2 else np.stack([1 - p, p], axis=1)


def predict_value(booster, frame: pd.DataFrame) -> np.ndarray:
    if frame.empty:
        return np.zeros(0, np.float32)
    return _predict(booster, frame).astype(np.float32)


def predict_redshift(booster, frame: pd.DataFrame) -> np.ndarray:
    """Photometric redshifts where an AllWISE counterpart exists (``wise_sep_arcsec``), NaN
    elsewhere."""
    redshift = np.full(len(frame), np.nan, np.float32)
    has_wise = frame["wise_sep_arcsec"].notna().to_numpy()
    redshift[has_wise] = predict_value(booster, frame[has_wise])
    return redshift


def best_iteration(booster) -> int:
    return int(booster.attr("best_iteration") or booster.num_boosted_rounds() - 1)


def gain_importance(booster) -> pd.Series:
    """Each feature's share of the total gain (features never split on get 0)."""
    score = booster.get_score(importance_type="total_gain")
    values = np.array([score.get(f, 0.0) for f in booster.feature_names])
    total = values.sum()
    return pd.Series(values / total if total else values, index=booster.feature_names)


def save_model(booster, path) -> Path:
    """The booster (feature names and best iteration included) as XGBoost JSON, atomically."""
    with atomic_path(path) as tmp:
        json_tmp = tmp.with_name(tmp.name + ".json")  # XGBoost picks the format by suffix
        booster.save_model(str(json_tmp))
        json_tmp.rename(tmp)
    return Path(path)


def load_model(path):
    """A booster written by :func:`save_model`."""
    import xgboost as xgb

    booster = xgb.Booster()
    booster.load_model(str(path))
    return booster
