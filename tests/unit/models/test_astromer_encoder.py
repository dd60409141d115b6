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


def light_curves(rng, n=60):
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
    ref = run_reference(weights_dir, x, offsets, tmp_path, timed=False)
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


def test_key_mask_makes_real_epochs_blind_to_padding(weights_dir):
    """With ``key_mask`` a real epoch's embedding does not depend on how much padding its window
    has (window 200 vs 100), and the compact path equals the full one; the published quirk
    (+1 on padded keys) makes both depend on it."""
    x, offsets = light_curves(np.random.default_rng(7), n=6)
    keep = np.diff(offsets) <= 100
    starts, ends = offsets[:-1][keep], offsets[1:][keep]
    sub = np.concatenate([x[s:e] for s, e in zip(starts, ends, strict=True)])
    sub_offsets = np.concatenate([[0], np.cumsum(ends - starts)])
    masked = load_pretrained_encoder(weights_dir, key_mask=True)
    quirk = load_pretrained_encoder(weights_dir)
    wide = make_windows(sub_offsets, sub[:, 0], sub[:, 1], window=200)
    narrow = make_windows(sub_offsets, sub[:, 0], sub[:, 1], window=100)

    def real(model, win):
        emb = encode_windows(model, win)
        return np.concatenate([emb[i, :n] for i, n in enumerate(win.length)])

    np.testing.assert_allclose(real(masked, wide), real(masked, narrow), atol=2e-5)
    assert np.abs(real(quirk, wide) - real(quirk, narrow)).max() > 1e-2
    compact = encode_windows_compact(masked, wide, batch_size=4)
    np.testing.assert_allclose(np.concatenate(compact), real(masked, wide), atol=2e-4)


def test_residual_blocks_keep_their_input():
    """With every sub-layer's weights zero, a residual block returns LayerNorm(LayerNorm(x)) of
    its input while the published (non-residual) block forgets it."""
    from qzo.models.astromer.encoder import EncoderBlock

    x = np.random.default_rng(0).normal(size=(2, 7, 16)).astype(np.float32)
    bias = np.zeros((2, 1, 7, 7), np.float32)
    out = {}
    for residual in (True, False):
        block = EncoderBlock(16, 2, 8, 0.0, residual=residual)
        block(x, bias)
        block.set_weights([np.zeros_like(w) for w in block.get_weights()])
        block.layernorm1.gamma.assign(np.ones(16, np.float32))
        block.layernorm2.gamma.assign(np.ones(16, np.float32))
        out[residual] = np.asarray(block(x, bias))
    z = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-6)
    z = (z - z.mean(-1, keepdims=True)) / np.sqrt(z.var(-1, keepdims=True) + 1e-6)
    np.testing.assert_allclose(out[True], z, atol=1e-4)
    np.testing.assert_allclose(out[False], 0.0, atol=1e-6)


def test_error_input_starts_as_the_published_encoder_and_needs_errors(weights_dir):
    """Published weights with ``error_input``: the error projection starts at zero (so the
    embeddings are the published ones) and the windows carry the errors, 0 on padding."""
    x, offsets = light_curves(np.random.default_rng(9), n=6)
    with_errors = load_pretrained_encoder(weights_dir, error_input=True)
    with_both = load_pretrained_encoder(
        weights_dir, error_input=True, difference_input=True, local_mean_days=30.0
    )
    plain = load_pretrained_encoder(weights_dir)
    win = make_windows(offsets, x[:, 0], x[:, 1], errors=x[:, 2])
    assert win.errors.shape == win.mags.shape
    assert (win.errors[win.mask == 1] == 0).all() and (win.errors[win.mask == 0] > 0).all()
    np.testing.assert_array_equal(encode_windows(with_errors, win), encode_windows(plain, win))
    np.testing.assert_array_equal(encode_windows(with_both, win), encode_windows(plain, win))
    with_errors.err_transform.kernel.assign(np.ones(with_errors.err_transform.kernel.shape))
    assert not np.allclose(encode_windows(with_errors, win), encode_windows(plain, win))
    win.errors = None
    with pytest.raises(KeyError, match="errors"):
        encode_windows(with_errors, win)


def test_differences_are_taken_between_real_neighbours():
    """``difference_input``: (Δm · scale, log(1 + Δt)) from the previous epoch, 0 at the first
    epoch, on padding and next to a masked (hidden) epoch."""
    from qzo.models.astromer.encoder import differences

    times = np.array([[0.0, 1.0, 3.0, 10.0, 12.0, 0.0]], np.float32)[..., None]
    mags = np.array([[0.1, 0.3, 0.0, -0.2, 0.4, 0.0]], np.float32)[..., None]
    mask = np.array([[0, 0, 0, 1, 0, 1]], np.float32)[..., None]
    out = np.asarray(differences({"times": times, "mags": mags, "mask": mask}, 10.0))[0]
    expected = [[0, 0], [2, np.log(2)], [-3, np.log(3)], [0, 0], [0, 0], [0, 0]]
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_local_means_average_the_real_epochs_near_each_epoch():
    """``local_mean_days``: per epoch, the mean magnitude (· scale) of the real epochs within
    the window of days (itself included) and log(1 + their number); 0 on masked epochs, whose
    magnitudes never enter a mean (a hidden epoch's value cannot leak to its neighbours)."""
    from qzo.models.astromer.encoder import local_means

    times = np.array([[0.0, 10.0, 25.0, 31.0, 100.0, 0.0]], np.float32)[..., None]
    mags = np.array([[0.1, 0.3, 0.5, -0.2, 0.4, 0.0]], np.float32)[..., None]
    mask = np.array([[0, 0, 1, 0, 0, 1]], np.float32)[..., None]
    inputs = {"times": times, "mags": mags, "mask": mask}
    out = np.asarray(local_means(inputs, 30.0, 10.0))[0]
    # Epoch 0 (t 0): epochs 0 and 1 (epoch 2 is hidden, epoch 3 is 31 d away); epoch 1 (t 10):
    # 0, 1, 3; epoch 3 (t 31): 1, 3; epoch 4 (t 100): itself.
    expected = [
        [(0.1 + 0.3) / 2 * 10, np.log(3)],
        [(0.1 + 0.3 - 0.2) / 3 * 10, np.log(4)],
        [0, 0],
        [(0.3 - 0.2) / 2 * 10, np.log(3)],
        [0.4 * 10, np.log(2)],
        [0, 0],
    ]
    np.testing.assert_allclose(out, expected, atol=1e-5)
    mags[0, 2, 0] = 9.0  # the hidden epoch's magnitude
    np.testing.assert_array_equal(np.asarray(local_means(inputs, 30.0, 10.0))[0], out)
