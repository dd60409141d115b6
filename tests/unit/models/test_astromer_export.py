"""The ONNX export of the light-curve classifier and the choice of inference engine."""

import json
import os

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("onnxruntime")

from conftest import data_path

from qzo.models.astromer.backend import compiled
from qzo.models.astromer.embed import encode_windows
from qzo.models.astromer.encoder import AstromerEncoder
from qzo.models.astromer.export import (
    EXPORT_FILES,
    check_windows,
    export_classifier,
    export_encoder,
    export_model,
)
from qzo.models.astromer.infer import classify
from qzo.models.astromer.runtime import OnnxClassifier, choose_backend, onnx_session
from qzo.models.astromer.train import Classifier
from qzo.models.astromer.weights import load_pretrained_encoder, resolve_weights
from qzo.models.astromer.windows import make_windows

CLASSES = ["galaxy", "QSO", "star"]
SMALL = {"num_layers": 2, "d_model": 32, "num_heads": 2, "dff": 16}
#: The published layout, and every departure of encoders trained here at once.
VARIANTS = {
    "published": ({}, "mean"),
    "all_departures": (
        {
            "error_input": True,
            "difference_input": True,
            "local_mean_days": 30.0,
            "residual": True,
            "key_mask": True,
            "magnitude_scale": 10.0,
        },
        "mean_std",
    ),
}


def classifier(options, pooling, seed=0):
    import keras

    keras.utils.set_random_seed(seed)
    encoder = AstromerEncoder(**SMALL, **options).build_for_window()
    model = Classifier(encoder, n_classes=3, hidden=(16,), pooling=pooling)
    model(encoder.dummy_inputs())
    return model


def light_curves(n=300, seed=4):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, 201, n)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    times = 58000 + np.cumsum(rng.uniform(0.5, 6.0, offsets[-1]))
    mags = 18 + rng.normal(0, 0.2, offsets[-1])
    errors = np.abs(rng.normal(0.04, 0.01, offsets[-1]))
    return offsets, times, mags, errors


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The published layout's classifier (seed 0) and the directory of its export."""
    model = classifier(*VARIANTS["published"])
    directory = tmp_path_factory.mktemp("published")
    export_model(model, CLASSES, directory)
    return model, directory


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_export_gives_the_keras_probabilities_to_1e5(variant, published, tmp_path):
    options, pooling = VARIANTS[variant]
    if variant == "published":
        model, tmp_path = published
        record = json.loads((tmp_path / "export.json").read_text())
    else:
        model = classifier(options, pooling)
        record = export_model(model, CLASSES, tmp_path)
        assert json.loads((tmp_path / "export.json").read_text()) == record
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(EXPORT_FILES)
    assert record["classes"] == CLASSES and record["window"] == 200
    assert record["check_vs_keras"]["probabilities"]["max_abs"] < 1e-5
    assert record["check_vs_keras"]["embeddings"]["max_rel"] < 1e-5

    # The pipeline's path: compact windows through ONNX Runtime vs XLA-compiled Keras.
    offsets, times, mags, errors = light_curves()
    errors = errors if options.get("error_input") else None
    onnx = OnnxClassifier.like(tmp_path / "classifier.onnx", model)
    p_keras, e_keras = classify(model, offsets, times, mags, errors=errors, with_embeddings=True)
    p_onnx, e_onnx = classify(onnx, offsets, times, mags, errors=errors, with_embeddings=True)
    assert p_onnx.shape == (300, 3) and e_onnx.shape == e_keras.shape
    np.testing.assert_allclose(p_onnx, p_keras, atol=1e-5, rtol=0)
    np.testing.assert_allclose(e_onnx, e_keras, atol=1e-5 * np.abs(e_keras).max(), rtol=0)
    with pytest.raises(ValueError, match="exact"):
        classify(onnx, offsets, times, mags, exact=True)


def test_the_published_encoder_exports_to_the_astromer_onnx_layout(tmp_path):
    """The MACHO weights as encoder.onnx: [batch, 200, 1] times / mags / mask in, the eager
    Keras embeddings (bit-identical to the reference package) out, as close as TensorFlow's
    own XLA compilation of the same model comes (both ~2e-4 at values ~3: float32 rounding
    amplified by the published model's LayerNorms, which see no residual)."""
    weights = resolve_weights(data_path("astromer_v1_macho_weights.zip"), tmp_path / "cache")
    encoder = load_pretrained_encoder(weights)
    export_encoder(encoder, tmp_path / "encoder.onnx")
    session = onnx_session(tmp_path / "encoder.onnx")
    assert sorted(i.name for i in session.get_inputs()) == ["mags", "mask", "times"]
    offsets, times, mags, _ = light_curves(n=40)
    win = make_windows(offsets, times, mags, 200, single=True)
    assert win.times.shape == (40, 200, 1)
    (onnx,) = session.run(["embeddings"], win.inputs())
    reference = encode_windows(encoder, win)
    assert onnx.shape == reference.shape == (40, 200, 256)
    xla = np.asarray(compiled(encoder)(win.inputs()))
    off_onnx, off_xla = np.abs(onnx - reference).max(), np.abs(xla - reference).max()
    assert off_onnx <= 2 * off_xla and off_onnx <= 5e-5 * np.abs(reference).max()


def test_backend_choice_is_measured_and_refuses_an_export_that_disagrees(published, tmp_path):
    model, directory = published
    other = tmp_path / "other" / "classifier.onnx"
    other.parent.mkdir()
    export_classifier(classifier({}, "mean", seed=1), other)
    offsets, times, mags, _ = light_curves(n=60)
    sample = (offsets, times, mags)

    chosen, record = choose_backend("keras", model, None, *sample)
    assert chosen is model and record == {"backend": "keras", "requested": "keras"}

    chosen, record = choose_backend(
        "onnx", model, directory / "classifier.onnx", *sample, threads=1
    )
    assert isinstance(chosen, OnnxClassifier) and record["backend"] == "onnx"
    assert record["checked_on"] == 60 and record["max_abs_diff"] < 1e-5
    assert record["onnx_threads"] == 1  # the job's threads, not every CPU it may use

    chosen, record = choose_backend("auto", model, directory / "classifier.onnx", *sample)
    assert record["keras_lc_per_s"] > 0 and record["onnx_lc_per_s"] > 0
    assert record["onnx_threads"] == len(os.sched_getaffinity(0))
    faster = "onnx" if record["onnx_lc_per_s"] > record["keras_lc_per_s"] else "keras"
    assert record["backend"] == faster
    assert isinstance(chosen, OnnxClassifier) == (faster == "onnx")

    chosen, record = choose_backend("auto", model, other, *sample)
    assert chosen is model and record["backend"] == "keras" and record["max_abs_diff"] > 1e-4
    with pytest.raises(ValueError, match=r"other/classifier\.onnx.*re-export or use keras"):
        choose_backend("onnx", model, other, *sample)
    with pytest.raises(ValueError, match="expected one of"):
        choose_backend("tflite", model, other, *sample)


def test_check_windows_follow_the_encoder_inputs():
    inputs = check_windows({"window": 200, "error_input": True}, n=5)
    assert sorted(inputs) == ["errors", "key_log_count", "mags", "mask", "times"]
    assert inputs["times"].shape == (5, 200, 1) and inputs["key_log_count"].shape == (5, 200)
    real = inputs["mask"][..., 0] == 0
    # Centred on the window's real epochs (a float32 mean at MJD ~58000, as Astromer's: within
    # a day), zero on padding.
    mean_time = (inputs["times"][..., 0] * real).sum(1) / real.sum(1)
    assert np.all(np.abs(mean_time) < 1.0)
    assert np.all(inputs["mags"][~real] == 0)


def test_inference_jobs_run_the_export_they_are_given(tmp_path):
    """Rules astromer_export then astromer_infer with backend onnx: the job logs and returns
    the engine and writes the probabilities Keras gives, to 1e-5."""
    import pyarrow.parquet as pq
    from test_astromer_infer import shard_file

    from qzo.config import default_config
    from qzo.models.astromer.infer import classify_shard, load_classifier, save_classifier
    from qzo.stages.astromer import astromer_export, astromer_infer

    config, weights = tmp_path / "config.json", tmp_path / "classifier.weights.h5"
    save_classifier(classifier(*VARIANTS["published"]), config, weights)
    export = tmp_path / "export"
    paths = {name.split(".")[0]: export / name for name in EXPORT_FILES}
    astromer_export(
        model_config=config,
        model_weights=weights,
        encoder=paths["encoder"],
        classifier=paths["classifier"],
        record=paths["export"],
    )
    shard = tmp_path / "shard.parquet"
    shard_file(shard, n=80)
    settings = {**default_config()["astromer"], "backend": "onnx"}
    out = tmp_path / "group0.parquet"
    result = astromer_infer(
        model_config=config,
        model_weights=weights,
        objects=[shard],
        shards=["Norder=3/Dir=0/Npix=1"],
        settings=settings,
        predictions=out,
        onnx_classifier=paths["classifier"],
    )
    assert result["objects"] == 80 and result["backend"]["backend"] == "onnx"
    written = pq.read_table(out).to_pandas()
    keras = classify_shard(*load_classifier(config, weights), shard).to_pandas()
    columns = [f"p_lc_{c}" for c in CLASSES]
    np.testing.assert_allclose(written[columns], keras[columns], atol=1e-5, rtol=0)
    assert set(written["shard"]) == {"Norder=3/Dir=0/Npix=1"}
