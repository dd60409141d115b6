"""Saving, loading and running the light-curve classifier on a preprocessed shard."""

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
    _, offsets, t, m = read_shard_sequences(tmp_path / "shard.parquet")
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
