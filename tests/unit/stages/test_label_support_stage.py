"""Rule label_support's stage: the support of a training set, read from its shards' feature
tables, saved, summarised, and a warning when a kind of object has no labels."""

import logging

import numpy as np
import pandas as pd

from qzo.models.support import SUPPORT_COLUMNS, WISE_SUPPORT, label_distance, load_label_support
from qzo.stages.xgb import label_support


def test_label_support_saves_the_train_splits_support_and_warns_of_a_missing_kind(tmp_path, caplog):
    rng = np.random.default_rng(0)
    n = 90
    features = pd.DataFrame({c: rng.lognormal(0.0, 0.3, n) for c in SUPPORT_COLUMNS})
    features.insert(0, "objectid", np.arange(n, dtype=np.int64) + 100)
    features["shard"] = np.where(np.arange(n) < 45, "s0", "s1")
    for shard, part in features.groupby("shard"):
        part.drop(columns="shard").to_parquet(tmp_path / f"{shard}.parquet")
    labels = features[["objectid", "shard"]].assign(
        split=np.where(np.arange(n) % 3 == 0, "val", "train")
    )
    labels.to_parquet(tmp_path / "training_set.parquet")
    settings = {"neighbours": 3, "quantile": 0.9, "max_labelled": 50}
    with caplog.at_level(logging.WARNING):
        summary = label_support(
            training_set=tmp_path / "training_set.parquet",
            features=str(tmp_path / "{shard}.parquet"),
            settings=settings,
            support=tmp_path / "support.npz",
        )
    # Every object has WISE: the train split's 60 objects, sampled down to 50.
    assert summary.keys() == {"with WISE"} and summary["with WISE"]["objects"] == 50
    assert "without an AllWISE counterpart" in caplog.text
    support = load_label_support(tmp_path / "support.npz")
    val = features[labels["split"].to_numpy() == "val"]
    assert np.sum(label_distance(support, val) > 1) == 3  # 10 % of the 30 val objects
    no_wise = val.iloc[:1].copy()
    no_wise[WISE_SUPPORT] = np.nan
    assert label_distance(support, no_wise)[0] == np.inf
