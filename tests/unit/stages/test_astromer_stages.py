"""The Astromer stages on a small training set: each stage's seed sets its weights (same seed,
same weights; another seed, other weights), and every output is written."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("tensorflow")

from qzo.config import validate_config
from qzo.stages.astromer import astromer_finetune, astromer_pretrain


def training_set(path, n=60, seed=0):
    """Light curves of two kinds (constant, slow sine) with the training set's columns."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n) * 2  # galaxy (0) or star (2)
    mjd, mag = [], []
    for k in range(n):
        t = np.sort(58000 + rng.uniform(0, 600, rng.integers(20, 41)))
        amp = 1.5 if label[k] == 2 else 0.0
        mjd.append(t)
        mag.append((18 + amp * np.sin(t / 40) + rng.normal(0, 0.03, len(t))).astype(np.float32))
    split = np.array(["train", "val", "test"])[np.arange(n) % 5 % 3]
    pq.write_table(
        pa.table(
            {
                "objectid": pa.array(np.arange(n, dtype=np.int64) + 10**14),
                "mjd": pa.array(mjd, pa.list_(pa.float64())),
                "mag": pa.array(mag, pa.list_(pa.float32())),
                "label": pa.array(label.astype(np.int8)),
                "split": pa.array(split),
                "fold": pa.array(np.where(split == "train", np.arange(n) % 2, -1).astype(np.int8)),
            }
        ),
        path,
    )
    return path


def settings(pretrain_seed=0, finetune_seed=0) -> dict:
    return validate_config(
        {
            "astromer": {
                "num_layers": 1,
                "d_model": 16,
                "num_heads": 2,
                "dff": 16,
                "window": 40,
                "pretrain_data": "training_set",  # these tests train on a constructed table
                "pretrain": {"epochs": 1, "seed": pretrain_seed},
                "finetune": {"epochs": 1, "seed": finetune_seed},
            }
        }
    )["astromer"]


def pretrain(tmp_path, name, table, **seeds):
    out = tmp_path / name
    astromer_pretrain(
        training_set=table,
        settings=settings(**seeds),
        checkpoints=out / "checkpoints",
        weights_cache=out / "cache",
        weights=out / "encoder.weights.h5",
        summary=out / "summary.json",
        metrics=out / "metrics.csv",
    )
    return out


def encoder_weights(out) -> list[np.ndarray]:
    from qzo.models.astromer.fitting import load_encoder

    return load_encoder(out / "encoder.weights.h5", out / "summary.json").get_weights()


def same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_finetuning_seed_sets_the_classifier(tmp_path):
    table = training_set(tmp_path / "training_set.parquet")
    encoder = pretrain(tmp_path, "encoder", table)

    def finetune(name, seed):
        out = tmp_path / name
        result = astromer_finetune(
            training_set=table,
            encoder_weights=encoder / "encoder.weights.h5",
            encoder_summary=encoder / "summary.json",
            settings=settings(finetune_seed=seed),
            checkpoints=out / "checkpoints",
            model_config=out / "model" / "config.json",
            model_weights=out / "model" / "classifier.weights.h5",
            predictions=out / "predictions.parquet",
            metrics=out / "metrics.csv",
            summary=out / "summary.json",
        )
        return result, pd.read_parquet(out / "predictions.parquet")

    first, p0 = finetune("a", 0)
    _, p0_again = finetune("b", 0)
    _, p1 = finetune("c", 1)
    assert len(p0) == 60 and list(p0.columns) == [
        "objectid",
        "p_lc_galaxy",
        "p_lc_QSO",
        "p_lc_star",
    ]
    pd.testing.assert_frame_equal(p0, p0_again)
    assert not np.allclose(p0.filter(like="p_lc_").to_numpy(), p1.filter(like="p_lc_").to_numpy())
    assert 0 <= first["test_accuracy"] <= 1
    assert json.loads((tmp_path / "a" / "summary.json").read_text()) == first


def test_pretraining_seed_sets_the_encoder_and_stale_checkpoints_are_discarded(tmp_path, caplog):
    """The same seed gives the same encoder, another seed another. Rerunning the stage on a
    changed training set trains anew: the old checkpoints (made from other data) are
    discarded, so the weights and the log are those of a fresh run."""
    first = training_set(tmp_path / "first.parquet", seed=0)
    second = training_set(tmp_path / "second.parquet", seed=1)
    stale = pretrain(tmp_path, "run", first)
    before = encoder_weights(stale)
    with caplog.at_level("WARNING"):
        again = pretrain(tmp_path, "run", second)  # same folder, same checkpoints
    fresh = pretrain(tmp_path, "fresh", second)
    other_seed = pretrain(tmp_path, "other_seed", second, pretrain_seed=1)
    assert "checkpoints of another training" in caplog.text
    assert not same(encoder_weights(again), before)
    assert same(encoder_weights(again), encoder_weights(fresh))
    assert not same(encoder_weights(fresh), encoder_weights(other_seed))
    summary = json.loads((fresh / "summary.json").read_text())
    assert summary["epochs_run"] == 1 and summary["encoder"]["d_model"] == 16
    rows = list(csv.DictReader(open(again / "metrics.csv")))
    assert [int(r["epoch"]) for r in rows] == [1]
    fresh_rows = list(csv.DictReader(open(fresh / "metrics.csv")))
    assert rows[0]["val_loss"] == fresh_rows[0]["val_loss"]
    # The same training again resumes (nothing to do: it had finished).
    caplog.clear()
    with caplog.at_level("WARNING"):
        pretrain(tmp_path, "run", second)
    assert "checkpoints of another training" not in caplog.text


def test_stages_train_on_the_keras_backend_the_config_names(tmp_path):
    """Stage 1 and 2 in a fresh process with ``keras_backend: jax`` (as a Snakemake job runs
    them): they train on JAX, say so in their summaries, and the classifier they write gives
    the same probabilities here, on TensorFlow."""
    pytest.importorskip("jax")
    from qzo.models.astromer.infer import classify, load_classifier, table_sequences

    table = training_set(tmp_path / "training_set.parquet")
    config = {**settings(), "keras_backend": "jax"}
    out = tmp_path / "jax"
    script = f"""
import json
from qzo.stages.astromer import astromer_finetune, astromer_pretrain
settings, out, table = json.loads({json.dumps(config)!r}), {str(out)!r}, {str(table)!r}
astromer_pretrain(training_set=table, settings=settings, checkpoints=out + "/pre",
    weights_cache=out + "/cache", weights=out + "/encoder.weights.h5",
    summary=out + "/encoder.json", metrics=out + "/pre.csv")
astromer_finetune(training_set=table, encoder_weights=out + "/encoder.weights.h5",
    encoder_summary=out + "/encoder.json", settings=settings, checkpoints=out + "/fine",
    model_config=out + "/config.json", model_weights=out + "/classifier.weights.h5",
    predictions=out + "/predictions.parquet", metrics=out + "/fine.csv",
    summary=out + "/summary.json")
import keras
print(keras.backend.backend())
"""
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split()[-1] == "jax"
    for summary in ("encoder.json", "summary.json"):
        assert json.loads((out / summary).read_text())["keras_backend"] == "jax"
    model, classes = load_classifier(out / "config.json", out / "classifier.weights.h5")
    offsets, times, mags, _ = table_sequences(pq.read_table(table))
    probs, _ = classify(model, offsets, times, mags)
    written = pd.read_parquet(out / "predictions.parquet")
    np.testing.assert_allclose(written[[f"p_lc_{c}" for c in classes]].to_numpy(), probs, atol=1e-5)
