"""The calibrate stage on constructed prediction files: what it reads, writes and refuses."""

import json

import numpy as np
import pandas as pd
import pytest

from qzo.config import default_config
from qzo.errors import InputDataError
from qzo.stages.calibrate import calibrate

CLASSES = np.array(["GALAXY", "QSO", "STAR"])


def _predictions(rng, n, prior, **columns):
    """Rows with the domain covariates and both models' probabilities (exact posteriors of
    x ~ N(2·class, 1) under a flat prior), classes drawn with ``prior``."""
    y = rng.choice(3, n, p=prior)
    like = np.exp(-0.5 * (rng.normal(2.0 * y, 1.0)[:, None] - 2.0 * np.arange(3)) ** 2)
    p = like / like.sum(1, keepdims=True)
    frame = pd.DataFrame(
        {
            "mag_median": rng.normal(19, 1, n),
            "n_obs": rng.integers(20, 400, n).astype(float),
            "timespan": rng.uniform(100, 2000, n),
            "snr_mean": rng.uniform(3, 50, n),
            "wise_sep_arcsec": np.nan,
            "is_duplicate": False,
            "class": CLASSES[y],
        }
    )
    for prefix in ("p_", "p_WISE_"):
        for k, name in enumerate(("galaxy", "QSO", "star")):
            frame[f"{prefix}{name}"] = p[:, k]
    return frame.assign(**columns)


def test_calibrate_fits_on_the_val_split_and_a_sample_of_the_groups(tmp_path):
    rng = np.random.default_rng(0)
    labelled = _predictions(rng, 3_000, np.full(3, 1 / 3))
    labelled["split"] = np.where(np.arange(3_000) < 1_000, "val", "train")
    labelled.to_parquet(tmp_path / "training.parquet")
    groups = []
    for g in range(3):  # 30,000 sky objects, a tenth of them duplicates (never sampled)
        sky = _predictions(rng, 10_000, [0.25, 0.05, 0.7], is_duplicate=rng.random(10_000) < 0.1)
        sky.to_parquet(tmp_path / f"group{g}.parquet")
        groups.append(tmp_path / f"group{g}.parquet")
    config = default_config()
    settings = {**config["calibration"], "inference_sample": 9_000}
    out = tmp_path / "calibration.json"
    result = calibrate(
        groups=groups,
        training_predictions=tmp_path / "training.parquet",
        settings=settings,
        xgb=config["xgb"],
        threads=1,
        calibration=out,
    )
    assert json.loads(out.read_text()) == result
    assert result["labelled_rows"] == 1_000
    # About 9,000 sampled of the 27,000 non-duplicates (a Bernoulli sample at rate 9/30).
    assert 7_600 < result["inference_rows"] < 8_600
    assert result["models"]["ztf"]["inference_prior"] == pytest.approx([0.25, 0.05, 0.7], abs=0.03)


def test_calibrate_names_the_file_when_the_val_split_lacks_a_class(tmp_path):
    rng = np.random.default_rng(1)
    labelled = _predictions(rng, 300, [0.5, 0.0, 0.5]).assign(split="val")
    labelled.to_parquet(tmp_path / "training.parquet")
    labelled.to_parquet(tmp_path / "group0.parquet")
    config = default_config()
    with pytest.raises(InputDataError, match=r"training\.parquet, column 'class'.*no QSO object"):
        calibrate(
            groups=[tmp_path / "group0.parquet"],
            training_predictions=tmp_path / "training.parquet",
            settings=config["calibration"],
            xgb=config["xgb"],
            threads=1,
            calibration=tmp_path / "calibration.json",
        )
    assert not (tmp_path / "calibration.json").exists()
