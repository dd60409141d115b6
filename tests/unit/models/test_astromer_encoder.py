"""The Keras 3 Astromer encoder against the reference ``ASTROMER`` package on published weights."""

import numpy as np
import pytest
from conftest import data_path

pytest.importorskip("tensorflow")

from qzo.models.astromer.embed import (
    encode_like_reference,
    encode_windows,
    encode_windows_compact,
    mean_embeddings,
)
from qzo.models.astromer.weights import load_pretrained_encoder, resolve_weights
from qzo.models.astromer.windows import make_windows
from qzo.testing.astromer_reference import run_reference


@pytest.fixture(scope="module")
def weights_dir(tmp_path_factory):
    return resolve_weights(
        data_path("astromer_v1_macho_weights.zip"), tmp_path_factory.mktemp("weights-cache")
    )


@pytest.fixture(scope="module")
def encoder(weights_dir):
    return load_pretrained_encoder(weights_dir)


def light_curves(rng, n=240):
    """Lengths 5–200 and beyond (up to 450), MJD-like and small times, three real DR curves."""
    lcs = []
    for path in sorted(data_path("real_dr_lightcurves").glob("*.csv")):
        data = np.loadtxt(path, delimiter=",", skiprows=1, usecols=(0, 1, 2))
        lcs.append(data)
    lengths = np.concatenate(
        [rng.integers(5, 201, n // 2), rng.integers(201, 451, n // 2), [200, 400, 1, 5]]
    )
    for i, length in enumerate(lengths):
        t0 = 58000.0 if i % 2 else 0.0
        t = t0 + np.cumsum(rng.exponential(3.0, length) + 0.01)
        mag = 18 + 0.3 * np.sin(t / rng.uniform(5, 300)) + rng.normal(0, 0.05, length)
        lcs.append(np.stack([t, mag, rng.uniform(0.01, 0.1, length)], 1))
    offsets = np.concatenate([[0], np.cumsum([len(x) for x in lcs])])
    return np.concatenate(lcs), offsets


def test_weights_resolve_from_zip_and_directory(weights_dir, tmp_path):
    assert (weights_dir / "conf.json").exists() and (weights_dir / "weights.index").exists()
    assert resolve_weights(weights_dir, tmp_path) == weights_dir
    with pytest.raises(FileNotFoundError):
        resolve_weights(tmp_path / "missing.zip", tmp_path)
    with pytest.raises(ValueError, match="sha256"):
        resolve_weights(data_path("astromer_v1_macho_weights.zip"), tmp_path, sha256="0" * 64)
    with pytest.raises(ValueError, match="needs a sha256"):
        resolve_weights("https://example.invalid/w.zip", tmp_path)


def test_every_encoder_variable_comes_from_the_checkpoint(encoder, weights_dir):
    import tensorflow as tf

    sizes = {n: int(np.prod(s)) for n, s in tf.train.list_variables(str(weights_dir / "weights"))}
    encoder_total = sum(v for n, v in sizes.items() if n.startswith("layer_with_weights-0/"))
    assert encoder.count_params() == encoder_total == 660_736
    head = sum(v for n, v in sizes.items() if n.startswith("layer_with_weights-1/"))
    assert head == 256 * 2 + 256 + 1  # the pretraining head: LayerNorm → Dense(1)


def test_windows_follow_the_reference_cutting():
    offsets = np.array([0, 5, 205, 555, 955])
    t = np.arange(955, dtype=float)
    w = make_windows(offsets, t, t)
    assert list(w.owner) == [0, 1, 1, 2, 2, 3, 3, 3]
    assert list(w.length) == [5, 200, 200, 200, 200, 200, 200, 200]
    # A 350-epoch curve: windows [0:200] and [150:350]; each centred on its own mean.
    np.testing.assert_allclose(w.times[3, :, 0] + np.mean(np.arange(205, 405)), np.arange(205, 405))
    np.testing.assert_allclose(w.times[4, :, 0] + np.mean(np.arange(355, 555)), np.arange(355, 555))
    assert w.mask[0, 5:].all() and not w.mask[0, :5].any() and (w.times[0, 5:] == 0).all()


def test_embeddings_match_the_reference_package(encoder, weights_dir, tmp_path):
    import ASTROMER  # noqa: F401  (test-only dependency, installed by `make`)

    x, offsets = light_curves(np.random.default_rng(7))
    ref = run_reference(weights_dir, x, offsets, tmp_path)
    ours = encode_like_reference(encoder, offsets, x[:, 0], x[:, 1])
    assert len(ours) == len(offsets) - 1 == len(ref["offsets"]) - 1
    worst = 0.0
    for k, emb in enumerate(ours):
        expected = ref["outputs"][ref["offsets"][k] : ref["offsets"][k + 1]]
        assert emb.shape == expected.shape, k
        worst = max(worst, float(np.abs(emb - expected).max()))
    assert worst <= 1e-4, worst


def test_mean_embedding_uses_real_epochs_only(encoder):
    rng = np.random.default_rng(3)
    t = 58000 + np.cumsum(rng.uniform(1, 3, 30))
    m = 18 + rng.normal(0, 0.1, 30)
    one = mean_embeddings(encoder, np.array([0, 30]), t, m, exact=True)
    per_epoch = encode_like_reference(encoder, np.array([0, 30]), t, m)[0]
    np.testing.assert_allclose(one[0], per_epoch.mean(0), rtol=1e-5, atol=1e-6)
    assert one.shape == (1, 256) and np.isfinite(one).all()


def test_compact_windows_agree_with_full_windows(encoder):
    x, offsets = light_curves(np.random.default_rng(11), n=60)
    win = make_windows(offsets, x[:, 0], x[:, 1])
    full = encode_windows(encoder, win)
    compact = encode_windows_compact(encoder, win, batch_size=16)
    worst = max(float(np.abs(c - full[i, : len(c)]).max()) for i, c in enumerate(compact))
    assert all(len(c) == n for c, n in zip(compact, win.length, strict=True))
    assert worst < 3e-3, worst
    fast = mean_embeddings(encoder, offsets, x[:, 0], x[:, 1])
    slow = mean_embeddings(encoder, offsets, x[:, 0], x[:, 1], exact=True)
    assert np.abs(fast - slow).max() < 1e-3


def test_magnitude_scale_multiplies_the_centred_magnitudes(weights_dir):
    """An encoder with ``magnitude_scale`` s on magnitudes m is the published encoder on s·m
    (same weights); the scale travels in the encoder's config."""
    scaled = load_pretrained_encoder(weights_dir, magnitude_scale=10.0)
    plain = load_pretrained_encoder(weights_dir)
    assert scaled.config_["magnitude_scale"] == 10.0
    x, offsets = light_curves(np.random.default_rng(5), n=8)
    win = make_windows(offsets, x[:, 0], x[:, 1])
    ten = make_windows(offsets, x[:, 0], x[:, 1])
    ten.mags = ten.mags * np.float32(10.0)
    np.testing.assert_allclose(
        encode_windows(scaled, win), encode_windows(plain, ten), rtol=1e-5, atol=1e-5
    )
    assert not np.allclose(encode_windows(scaled, win), encode_windows(plain, win), atol=1e-3)
