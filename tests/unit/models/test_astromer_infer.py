"""Saving, loading and running the light-curve classifier on a preprocessed shard."""

import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("tensorflow")

from qzo.models.astromer.encoder import AstromerEncoder
from qzo.models.astromer.infer import (
    choose_precision,
    classify,
    classify_shard,
    load_classifier,
    read_shard_sequences,
    save_classifier,
)
from qzo.models.astromer.train import Classifier
from qzo.models.astromer.windows import make_windows

SMALL = {"num_layers": 1, "d_model": 32, "num_heads": 2, "dff": 16, "window": 200}


def saved(directory):
    """Where a test saves its classifier: (config, weights)."""
    return directory / "config.json", directory / "classifier.weights.h5"


@pytest.fixture(scope="module")
def model():
    return Classifier(AstromerEncoder(**SMALL).build_for_window(), n_classes=3, hidden=(16,))


def shard_file(path, n=50, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(20, 201, n)
    mjd = [58000 + np.cumsum(rng.uniform(1, 5, k)) for k in lengths]
    mag = [(18 + rng.normal(0, 0.2, k)).astype(np.float32) for k in lengths]
    pq.write_table(
        pa.table(
            {
                "objectid": pa.array(np.arange(n, dtype=np.int64) + 10**14),
                "mjd": pa.array(mjd, pa.list_(pa.float64())),
                "mag": pa.array(mag, pa.list_(pa.float32())),
            }
        ),
        path,
    )
    return lengths


def test_save_and_load_give_the_same_probabilities(model, tmp_path):
    rng = np.random.default_rng(1)
    t = 58000 + np.cumsum(rng.uniform(1, 3, 60))
    m = 18 + rng.normal(0, 0.1, 60)
    before, _ = classify(model, np.array([0, 25, 60]), t, m, exact=True)
    save_classifier(model, *saved(tmp_path))
    loaded, classes = load_classifier(*saved(tmp_path))
    after, _ = classify(loaded, np.array([0, 25, 60]), t, m, exact=True)
    assert classes == ["galaxy", "QSO", "star"]
    np.testing.assert_array_equal(before, after)


def test_classify_shard_writes_one_row_per_object(model, tmp_path):
    shard_file(tmp_path / "shard.parquet")
    table = classify_shard(
        model, ["galaxy", "QSO", "star"], tmp_path / "shard.parquet", 16, with_embeddings=True
    )
    out = table.to_pandas()
    assert table.column_names == ["objectid", "p_lc_galaxy", "p_lc_QSO", "p_lc_star", "embedding"]
    assert table.num_rows == 50 and len(table.column("embedding")[0]) == 32
    p = out[["p_lc_galaxy", "p_lc_QSO", "p_lc_star"]].to_numpy()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    assert list(out["objectid"]) == list(np.arange(50) + 10**14)


def test_fast_path_agrees_with_exact_path(model, tmp_path):
    rng = np.random.default_rng(2)
    lengths = rng.integers(20, 201, 80)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    t = np.concatenate([58000 + np.cumsum(rng.uniform(1, 5, k)) for k in lengths])
    m = 18 + rng.normal(0, 0.3, offsets[-1])
    fast, _ = classify(model, offsets, t, m, batch_size=16)
    exact, _ = classify(model, offsets, t, m, exact=True)
    assert np.abs(fast - exact).max() <= 1e-3


def test_mixed_precision_is_checked_against_float32(model, tmp_path):
    """A mixed policy runs only where its probabilities agree with float32 (here bfloat16 on
    the CPU: it either passes the 1e-3 check or is refused loudly, never used unchecked)."""
    save_classifier(model, *saved(tmp_path))
    lengths = shard_file(tmp_path / "shard.parquet", n=40)
    _, offsets, t, m, errors = read_shard_sequences(tmp_path / "shard.parquet")
    assert errors is None  # not asked for
    assert list(np.diff(offsets)) == list(lengths)
    auto, _, record = choose_precision(*saved(tmp_path), "auto", offsets, t, m)
    assert record["precision"] == "float32"  # no GPU here: auto stays float32
    mixed, _ = load_classifier(*saved(tmp_path), "mixed_bfloat16")
    p32, _ = classify(auto, offsets, t, m, batch_size=16)
    p16, _ = classify(mixed, offsets, t, m, batch_size=16)
    diff = float(np.abs(p32 - p16).max())
    assert 0 < diff < 0.1  # a different computation, and still the same model
    if diff > 1e-3:
        with pytest.raises(ValueError, match="differ from float32"):
            choose_precision(*saved(tmp_path), "mixed_bfloat16", offsets, t, m)
    else:
        _, _, record = choose_precision(*saved(tmp_path), "mixed_bfloat16", offsets, t, m)
        assert record["precision"] == "mixed_bfloat16" and record["max_abs_diff"] == diff


def test_bfloat16_under_an_avx2_cap_of_onednn_is_refused_not_crashed(model, tmp_path):
    """With ``ONEDNN_MAX_CPU_ISA=AVX2`` (the opt-in cap for the same models on every CPU),
    TensorFlow dies of a segmentation fault on bfloat16 on AVX-512 BF16 CPUs: a mixed
    bfloat16 classifier is refused on the CPU with an error that names the cap."""
    save_classifier(model, *saved(tmp_path))
    config, weights = (str(p) for p in saved(tmp_path))
    script = (
        "from qzo.models.astromer.infer import load_classifier; "
        f"load_classifier({config!r}, {weights!r}, 'mixed_bfloat16')"
    )
    env = {**os.environ, "ONEDNN_MAX_CPU_ISA": "AVX2", "KERAS_BACKEND": "tensorflow"}
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert run.returncode == 1, run.stderr[-2000:]
    assert "ONEDNN_MAX_CPU_ISA=AVX2, which has no bfloat16" in run.stderr


def test_mean_std_pooling_round_trips_and_pools_real_epochs(tmp_path):
    """``pooling: mean_std`` gives the head the mean and the standard deviation of the
    embeddings over real epochs; the pooling and the encoder options survive save and load."""
    encoder = AstromerEncoder(**SMALL, key_mask=True, residual=True).build_for_window()
    model = Classifier(encoder, n_classes=3, hidden=(16,), pooling="mean_std")
    rng = np.random.default_rng(2)
    t = 58000 + np.cumsum(rng.uniform(1, 3, 40))
    m = 18 + rng.normal(0, 0.1, 40)
    probs, pooled = classify(model, np.array([0, 40]), t, m, exact=True, with_embeddings=True)
    win = make_windows(np.array([0, 40]), t, m, window=200)
    emb = np.asarray(encoder({"times": win.times, "mags": win.mags, "mask": win.mask}))[0, :40]
    assert pooled.shape == (1, 64) == (1, model.pooled_size)
    np.testing.assert_allclose(pooled[0, :32], emb.mean(0), atol=1e-4)
    np.testing.assert_allclose(pooled[0, 32:], emb.std(0), atol=1e-3)
    save_classifier(model, *saved(tmp_path))
    loaded, _ = load_classifier(*saved(tmp_path))
    assert loaded.pooling == "mean_std"
    assert loaded.encoder.config_["key_mask"] and loaded.encoder.config_["residual"]
    again, _ = classify(loaded, np.array([0, 40]), t, m, exact=True)
    np.testing.assert_array_equal(probs, again)
    with pytest.raises(ValueError, match="pooling"):
        Classifier(encoder, pooling="max")


def test_a_model_that_takes_errors_reads_magerr_and_names_the_file_without_it(tmp_path):
    encoder = AstromerEncoder(**SMALL, error_input=True).build_for_window()
    model = Classifier(encoder, n_classes=3, hidden=(16,))
    shard_file(tmp_path / "plain.parquet", n=5)
    with pytest.raises(KeyError, match=r"plain\.parquet.*magerr"):
        classify_shard(model, ["galaxy", "QSO", "star"], tmp_path / "plain.parquet")
    table = pq.read_table(tmp_path / "plain.parquet")
    errors = pa.array(
        [np.full(len(m), 0.05, np.float32) for m in table.column("mag").to_pylist()],
        pa.list_(pa.float32()),
    )
    pq.write_table(table.append_column("magerr", errors), tmp_path / "with.parquet")
    out = classify_shard(model, ["galaxy", "QSO", "star"], tmp_path / "with.parquet")
    assert out.num_rows == 5
    np.testing.assert_allclose(
        out.select(["p_lc_galaxy", "p_lc_QSO", "p_lc_star"]).to_pandas().sum(axis=1), 1, atol=1e-5
    )
