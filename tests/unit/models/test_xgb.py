"""XGBoost models: learning, saving and loading, importance, regression."""

import numpy as np
import pandas as pd

from qzo.config import XGBSettings, default_config
from qzo.models.xgb import (
    fit_classifier,
    fit_regressor,
    gain_importance,
    load_model,
    predict_proba,
    predict_value,
    save_model,
)

FAST = XGBSettings.from_config(
    {**default_config()["xgb"], "n_estimators": 200, "max_depth": 3}, threads=1
)


def _toy(n=600, seed=0):
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 3, n)
    frame = pd.DataFrame(
        {
            "a": label + rng.normal(0, 0.3, n),
            "b": np.where(rng.random(n) < 0.3, np.nan, rng.normal(0, 1, n)),
            "label": label,
        }
    )
    frame["z"] = 0.5 * frame["a"] + 1
    return frame


def test_xgb_learns_saves_and_loads_identically(tmp_path):
    train, val, test = _toy(seed=0), _toy(200, 1), _toy(200, 2)
    model = fit_classifier(train, val, ["a", "b"], "label", FAST)
    p = predict_proba(model, test)
    assert p.shape == (200, 3) and (p.argmax(1) == test["label"]).mean() > 0.9
    save_model(model, tmp_path / "m.json")
    loaded = load_model(tmp_path / "m.json")
    assert loaded.feature_names == ["a", "b"]
    np.testing.assert_array_equal(predict_proba(loaded, test), p)
    assert gain_importance(loaded)["a"] > 0.5
    reg = fit_regressor(train, val, ["a"], "z", FAST)
    assert np.abs(predict_value(reg, test) - test["z"]).mean() < 0.2
