"""The light-curve model on JAX against TensorFlow: same embeddings, same weights files."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from conftest import REPO, data_path

pytest.importorskip("tensorflow")
pytest.importorskip("jax")

from qzo.config import AstromerSettings, load_config
from qzo.models.astromer.embed import encode_windows, mean_embeddings
from qzo.models.astromer.encoder import AstromerEncoder
from qzo.models.astromer.infer import classify, load_classifier, save_classifier
from qzo.models.astromer.weights import load_pretrained_encoder, resolve_weights
from qzo.testing.cross_backend import CLASSES, train_small_classifier, windows

SMALL = {"num_layers": 1, "d_model": 32, "num_heads": 2, "dff": 16, "window": 40}


def light_curves(rng, n, labels=None):
    """Flat arrays of ``n`` light curves of 20–300 nights; class 1 varies by 1 mag."""
    labels = rng.integers(0, 2, n) if labels is None else labels
    lengths = rng.integers(20, 301, n)
    t, m = [], []
    for length, label in zip(lengths, labels, strict=True):
        tt = 58000 + np.cumsum(rng.exponential(3.0, length) + 0.01)
        t.append(tt)
        m.append(18 + label * np.sin(tt / 40) + rng.normal(0, 0.03, length))
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return offsets, np.concatenate(t), np.concatenate(m), labels


def float64_embeddings(config, weights, win):
    """The same encoder in float64 (what float32 rounding is measured against)."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float64")
    try:
        encoder = AstromerEncoder(**config).build_for_window()
    finally:
        keras.config.set_dtype_policy(previous)
    encoder.load_weights(weights)
    inputs = {k: v.astype(np.float64) for k, v in win.inputs().items()}
    return np.concatenate(
        [
            np.asarray(encoder({k: v[s : s + 128] for k, v in inputs.items()}))
            for s in range(0, len(win.owner), 128)
        ]
    )


def test_jax_runs_the_same_model_and_weights_files_as_tensorflow(tmp_path):
    rng = np.random.default_rng(2)
    offsets, times, mags, _ = light_curves(rng, 60)
    errors = rng.uniform(0.01, 0.1, len(mags))
    data = {"offsets": offsets, "times": times, "mags": mags, "errors": errors}
    for prefix, n in (("train_", 160), ("val_", 60)):
        for key, value in zip(
            ("offsets", "times", "mags", "labels"), light_curves(rng, n), strict=True
        ):
            data[prefix + key] = value
    np.savez(tmp_path / "inputs.npz", **data)
    # The published encoder (trained elsewhere), the embedded default's encoder (seeded random
    # weights; it takes errors) and a classifier trained here on TensorFlow.
    weights_dir = resolve_weights(data_path("astromer_v1_macho_weights.zip"), tmp_path / "cache")
    keras.utils.set_random_seed(5)
    default = AstromerSettings.from_config(load_config(REPO / "config" / "config.yaml")["astromer"])
    encoders = {
        "published": load_pretrained_encoder(weights_dir),
        "default": AstromerEncoder(**default.architecture).build_for_window(),
    }
    for name, encoder in encoders.items():
        encoder.save_weights(tmp_path / f"encoder_{name}.weights.h5")
        (tmp_path / f"encoder_{name}.json").write_text(json.dumps(encoder.config_))
    tf_model = train_small_classifier(SMALL, data, tmp_path / "tensorflow_training")
    save_classifier(
        tf_model, tmp_path / "tf_classifier.json", tmp_path / "tf_classifier.weights.h5", CLASSES
    )

    env = {**os.environ, "KERAS_BACKEND": "jax"}
    script = (
        f"from qzo.testing.cross_backend import other_backend; other_backend({str(tmp_path)!r})"
    )
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    jax = np.load(tmp_path / "jax.npz")

    # The published encoder's full windows: JAX is as close to TensorFlow as float32 rounding
    # allows, i.e. no further than TensorFlow itself is from the same model in float64 (this
    # model amplifies rounding: LayerNorm without residuals).
    published = encoders["published"]
    win, _ = windows(data, "", published.config_["window"])
    real = win.mask[..., 0] == 0
    tf_emb = encode_windows(published, win)[real]
    exact = float64_embeddings(published.config_, tmp_path / "encoder_published.weights.h5", win)
    rounding = np.abs(tf_emb - exact[real]).max()
    across = np.abs(jax["embeddings_published"][real] - tf_emb)
    assert 0 < across.max() <= rounding
    assert np.median(across) < 1e-6 and np.quantile(across, 0.999) < 1e-4
    # The compact XLA path (jax.jit there, tf.function here), averaged per light curve.
    np.testing.assert_allclose(
        jax["mean_embeddings_published"],
        mean_embeddings(published, offsets, times, mags),
        atol=1e-4,
    )
    # The encoder the embedded default trains (residual blocks, errors, differences): 1e-5 of
    # the embeddings' scale.
    win, _ = windows(data, "", default.window)
    real = win.mask[..., 0] == 0
    tf_emb = encode_windows(encoders["default"], win)[real]
    assert np.abs(jax["embeddings_default"][real] - tf_emb).max() <= 1e-5 * np.abs(tf_emb).max()

    # Weights files cross over both ways and classify alike.
    lcs = (offsets, times, mags)
    np.testing.assert_allclose(jax["tf_classifier_probs"], classify(tf_model, *lcs)[0], atol=1e-5)
    jax_model, _ = load_classifier(
        tmp_path / "jax_classifier.json", tmp_path / "jax_classifier.weights.h5"
    )
    np.testing.assert_allclose(classify(jax_model, *lcs)[0], jax["own_classifier_probs"], atol=1e-5)
    # ... and training on JAX learns (the toy classes are separable).
    _, y_val = windows(data, "val_", SMALL["window"])
    probs = classify(jax_model, data["val_offsets"], data["val_times"], data["val_mags"])[0]
    assert (probs.argmax(1) == y_val).mean() > 0.8
    log = (tmp_path / "jax_training" / "log.csv").read_text().splitlines()
    assert len(log) == 1 + 3  # header + the three epochs
