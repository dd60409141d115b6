"""The trained light-curve model as ONNX files, to run without TensorFlow (ONNX Runtime).

Two graphs, both with a dynamic batch and sequence length, float32:

- ``encoder.onnx``: ``times``, ``mags``, ``mask`` (and ``errors`` for an encoder with
  ``error_input``), each [batch, seq, 1] → ``embeddings`` [batch, seq, d_model]. The layout of
  other Astromer ONNX ports: one window per row (seq ≤ the model's window, 200), time and
  magnitude centred on the window's mean of real epochs, padding 0 with mask 1.
- ``classifier.onnx``: the same inputs plus ``key_log_count`` [batch, seq] (0 everywhere for
  plain windows; log of the run length for a compact window's folded padding token, see
  :func:`qzo.models.astromer.windows.compact_windows`) → ``logits``, ``probabilities``
  [batch, n_classes] and ``embedding`` [batch, pooled_size], the pooled vector the head sees.

:func:`export_model` writes both, checks each against the Keras model on seeded windows and
records the convention and the measured differences in ``export.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from qzo.io import StrPath
from qzo.io.atomic import atomic_path, write_json_atomic
from qzo.models.astromer.encoder import AstromerEncoder, takes_errors
from qzo.models.astromer.train import Classifier
from qzo.models.astromer.windows import make_windows

#: What an export directory holds (rule ``astromer_export``'s outputs).
EXPORT_FILES = ("encoder.onnx", "classifier.onnx", "export.json")

#: ONNX operator set of the exported graphs (ONNX Runtime ≥ 1.12 runs it).
OPSET = 17


def _input_names(encoder_config: dict[str, Any]) -> tuple[str, ...]:
    return ("times", "mags", "mask") + (("errors",) if takes_errors(encoder_config) else ())


def to_onnx(
    function: Any, encoder_config: dict[str, Any], key_log_count: bool, path: StrPath
) -> None:
    """``function`` (the encoder's inputs, and ``key_log_count`` if asked, → a dict of named
    tensors) as an ONNX file, written atomically."""
    import tensorflow as tf
    import tf2onnx

    signature = _signature(_input_names(encoder_config), key_log_count)
    graph = tf.function(function, input_signature=[signature])
    proto, _ = tf2onnx.convert.from_function(
        graph,
        input_signature=[signature],
        opset=OPSET,
        custom_op_handlers={"Log1p": (_log1p, [])},
    )
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(proto.SerializeToString())


def _log1p(ctx: Any, node: Any, name: str, args: list) -> None:
    """tf2onnx has no rule for TensorFlow's Log1p (``difference_input``): log(1 + x)."""
    x = node.input[0]
    one = ctx.make_const(f"{node.name}/one", np.ones((), np.float32))
    plus_one = ctx.make_node("Add", [x, one.output[0]], name=f"{node.name}/plus_one")
    ctx.replace_inputs(node, [plus_one.output[0]])
    node.type = "Log"


def _signature(names: tuple[str, ...], key_log_count: bool) -> dict[str, Any]:
    import tensorflow as tf

    spec = {name: tf.TensorSpec([None, None, 1], tf.float32, name=name) for name in names}
    if key_log_count:
        spec["key_log_count"] = tf.TensorSpec([None, None], tf.float32, name="key_log_count")
    return spec


def export_encoder(encoder: AstromerEncoder, path: StrPath) -> None:
    """``encoder.onnx``: windows → per-epoch embeddings."""

    def run(inputs: dict[str, Any]) -> dict[str, Any]:
        return {"embeddings": encoder(inputs)}

    to_onnx(run, encoder.config_, False, path)


def export_classifier(model: Classifier, path: StrPath) -> None:
    """``classifier.onnx``: windows (and ``key_log_count``) → logits, probabilities, embedding."""
    from keras import ops

    def run(inputs: dict[str, Any]) -> dict[str, Any]:
        logits, embedding = model.logits_and_embedding(inputs)
        logits = ops.cast(logits, "float32")
        return {
            "logits": logits,
            "probabilities": ops.softmax(logits, axis=-1),
            "embedding": embedding,
        }

    to_onnx(run, model.encoder.config_, True, path)


def check_windows(encoder_config: dict[str, Any], n: int = 64, seed: int = 0) -> dict:
    """Seeded windows of 2 … window real epochs (ZTF-like cadence and magnitudes) as model
    inputs, with ``key_log_count`` zero: what an export is checked on."""
    rng = np.random.default_rng(seed)
    window = encoder_config["window"]
    lengths = rng.integers(2, window + 1, n)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    times = 58000 + np.concatenate([np.cumsum(rng.exponential(3.0, k) + 0.5) for k in lengths])
    mags = 18 + rng.normal(0, 0.3, offsets[-1])
    errors = np.abs(rng.normal(0.05, 0.02, offsets[-1])) if takes_errors(encoder_config) else None
    win = make_windows(offsets, times, mags, window, single=True, errors=errors)
    inputs = win.inputs()
    inputs["key_log_count"] = np.zeros(win.mask.shape[:2], np.float32)
    return inputs


def max_difference(reference: np.ndarray, other: np.ndarray) -> dict[str, float]:
    """Largest absolute difference, and that relative to the reference's largest magnitude."""
    diff = float(np.abs(np.asarray(reference, np.float64) - other).max())
    scale = float(np.abs(reference).max()) or 1.0
    return {"max_abs": diff, "max_rel": diff / scale}


def export_model(model: Classifier, classes: list[str], directory: StrPath) -> dict:
    """Write ``encoder.onnx``, ``classifier.onnx`` and ``export.json`` into ``directory``;
    each graph is run with ONNX Runtime on :func:`check_windows` and compared with Keras."""
    from qzo.models.astromer.infer import softmax
    from qzo.models.astromer.runtime import fed_inputs, onnx_session

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    export_encoder(model.encoder, out / EXPORT_FILES[0])
    export_classifier(model, out / EXPORT_FILES[1])
    inputs = check_windows(model.encoder.config_)
    plain = {k: v for k, v in inputs.items() if k != "key_log_count"}
    encoder = onnx_session(out / EXPORT_FILES[0])
    classifier = onnx_session(out / EXPORT_FILES[1])
    (emb,) = encoder.run(["embeddings"], plain)
    logits, probs = classifier.run(["logits", "probabilities"], fed_inputs(classifier, inputs))
    keras_logits = np.asarray(model(plain), np.float32)
    record = {
        "format": "ONNX",
        "opset": OPSET,
        "classes": list(classes),
        "window": model.encoder.config_["window"],
        "encoder_config": model.encoder.config_,
        "pooling": model.pooling,
        "inputs": {name: "[batch, seq, 1] float32" for name in _input_names(model.encoder.config_)}
        | {"key_log_count": "[batch, seq] float32, classifier only (0 for plain windows)"},
        "convention": (
            "one window per row; times in days and magnitudes, each centred on the mean of the "
            "window's real epochs; padded positions 0 with mask 1 (real epochs mask 0)"
            + ("; errors: magnitude errors as they are (0 on padding)" if "errors" in plain else "")
        ),
        "outputs": {
            "encoder.onnx": {"embeddings": "[batch, seq, d_model]"},
            "classifier.onnx": {
                "logits": "[batch, n_classes]",
                "probabilities": "[batch, n_classes], softmax of logits, in `classes` order",
                "embedding": "[batch, pooled_size]",
            },
        },
        "checked_on_windows": len(plain["mask"]),
        "check_vs_keras": {
            "embeddings": max_difference(np.asarray(model.encoder(plain)), emb),
            "logits": max_difference(keras_logits, logits),
            "probabilities": max_difference(softmax(keras_logits.astype(np.float64)), probs),
        },
    }
    write_json_atomic(record, out / EXPORT_FILES[2])
    return record
