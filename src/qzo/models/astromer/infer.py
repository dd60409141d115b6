"""Saved light-curve classifiers, and batched classification of one preprocessed shard."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import ArrayLike

from qzo.arrays.sequences import table_sequences
from qzo.io import StrPath
from qzo.io.atomic import atomic_path
from qzo.models.astromer.backend import (
    build_weights,
    compiled,
    gpu_available,
    refuse_capped_bfloat16,
)
from qzo.models.astromer.embed import engine_batches
from qzo.models.astromer.encoder import AstromerEncoder, takes_errors
from qzo.models.astromer.runtime import OnnxClassifier
from qzo.models.astromer.train import Classifier, write_weights
from qzo.models.astromer.windows import make_windows

CLASS_NAMES = ("galaxy", "QSO", "star")


def save_classifier(
    model: Classifier,
    config_path: StrPath,
    weights_path: StrPath,
    class_names: Sequence[str] = CLASS_NAMES,
) -> None:
    """The classifier's architecture and classes (JSON, ``config_path``) and its weights
    (``weights_path``, Keras ``.weights.h5``: the model's only, never a training optimizer's
    state), each written atomically; any Keras backend reads them back."""
    if len(class_names) != model.n_classes:
        raise ValueError(f"{len(class_names)} class names for {model.n_classes} classes")
    config = {
        "encoder": model.encoder.config_,
        "hidden": [layer.units for layer in model.hidden],
        "pooling": model.pooling,
        "classes": list(class_names),
    }
    bare = build_classifier(config) if model.compiled else model
    if bare is not model:
        bare.set_weights(model.get_weights())
    write_weights(bare, weights_path)
    with atomic_path(config_path) as tmp:
        tmp.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


def load_classifier(
    config_path: StrPath, weights_path: StrPath, precision: str = "float32"
) -> tuple[Classifier, list[str]]:
    """A classifier saved by :func:`save_classifier`; ``precision`` is its Keras dtype policy
    (weights stay float32)."""
    import keras

    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: expected one of {PRECISIONS}")
    refuse_capped_bfloat16(precision)
    config = json.loads(Path(config_path).read_text())
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        model = build_classifier(config)
    finally:
        keras.config.set_dtype_policy(previous)
    model.load_weights(weights_path)
    return model, config["classes"]


def build_classifier(config: dict[str, Any]) -> Classifier:
    """A classifier with built (untrained) weights, from a :func:`save_classifier` config."""
    encoder = AstromerEncoder(**config["encoder"]).build_for_window()
    model = Classifier(
        encoder,
        n_classes=len(config["classes"]),
        hidden=tuple(config["hidden"]),
        pooling=config.get("pooling", "mean"),
    )
    build_weights(model, encoder.dummy_inputs())
    return model


def choose_precision(
    config_path: StrPath,
    weights_path: StrPath,
    requested: str,
    offsets: ArrayLike,
    times: ArrayLike,
    mags: ArrayLike,
    tolerance: float = 1e-3,
    batch_size: int = 256,
    errors: ArrayLike | None = None,
) -> tuple[Classifier, list[str], dict]:
    """The classifier to run, and a record of why.

    ``auto`` means mixed float16 on a GPU (float32 on a CPU, where it brings nothing) if, on the
    light curves given (a sample of the job's), its probabilities agree with float32 to within
    ``tolerance``; otherwise float32. An explicit mixed policy is also checked, and refused (with
    an error) if it disagrees by more.
    """
    reference, classes = load_classifier(config_path, weights_path)
    if requested == "float32" or (requested == "auto" and not gpu_available()):
        return reference, classes, {"precision": "float32", "requested": requested}
    candidate = "mixed_float16" if requested == "auto" else requested
    mixed, _ = load_classifier(config_path, weights_path, candidate)
    p32, _ = classify(reference, offsets, times, mags, batch_size, errors=errors)
    p16, _ = classify(mixed, offsets, times, mags, batch_size, errors=errors)
    diff = float(np.abs(p32 - p16).max()) if len(p32) else 0.0
    record = {"requested": requested, "checked_on": len(p32), "max_abs_diff": diff}
    if diff <= tolerance:
        return mixed, classes, {**record, "precision": candidate}
    if requested != "auto":
        raise ValueError(
            f"precision {candidate}: probabilities differ from float32 by {diff:.2e} "
            f"(> {tolerance}) on {len(p32)} light curves; use float32 or auto"
        )
    return reference, classes, {**record, "precision": "float32"}


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of (n, n_classes) logits."""
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _eager_head(model: Classifier) -> Callable[[dict[str, Any]], tuple[Any, Any]]:
    """Logits and pooled embedding from eager calls (the exact path)."""
    return lambda inputs: (model(inputs), model.embed(inputs))


def classify(
    model: Classifier | OnnxClassifier,
    offsets: ArrayLike,
    times: ArrayLike,
    mags: ArrayLike,
    batch_size: int = 256,
    exact: bool = False,
    with_embeddings: bool = False,
    errors: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Class probabilities (n, n_classes) and, optionally, the pooled embeddings the head sees
    (n, ``model.pooled_size``: the mean over real epochs, then their standard deviation with
    ``pooling: mean_std``).

    One window per light curve (the pipeline keeps ≤ 200 nights). The default runs the compact
    windows (padding folded into one token, windows batched by length), XLA-compiled for a
    Keras model or under ONNX Runtime for an :class:`OnnxClassifier`; ``exact`` runs the full
    windows eagerly (Keras only). ``errors`` (flat, like ``mags``): the magnitude errors, which
    an encoder with ``error_input`` needs.
    """
    onnx = isinstance(model, OnnxClassifier)
    if exact and onnx:
        raise ValueError("exact: full windows run eagerly in Keras, not under ONNX Runtime")
    win = make_windows(
        np.asarray(offsets),
        np.asarray(times),
        np.asarray(mags),
        model.encoder_config["window"],
        single=True,
        errors=None if errors is None else np.asarray(errors),
    )
    n = len(win.owner)
    logits = np.zeros((n, model.n_classes), np.float32)
    emb = np.zeros((n, model.pooled_size), np.float32) if with_embeddings else None
    if exact:
        batches = [
            (win.inputs(slice(s, s + batch_size)), np.arange(s, min(n, s + batch_size)))
            for s in range(0, n, batch_size)
        ]
    else:
        batches = [(b.inputs, b.index) for b in engine_batches(win, batch_size, xla=not onnx)]
    run_head: Callable[[dict[str, Any]], tuple[Any, Any]]
    if isinstance(model, OnnxClassifier):
        run_head = model.logits_and_embedding
    elif exact:
        run_head = _eager_head(model)
    else:
        run_head = compiled(model, "logits_and_embedding")
    for inputs, index in batches:
        out_logits, out_emb = run_head(inputs)
        logits[index] = np.asarray(out_logits, np.float32)[: len(index)]
        if emb is not None:
            emb[index] = np.asarray(out_emb, np.float32)[: len(index)]
    return softmax(logits.astype(np.float64)).astype(np.float32), emb


#: A preprocessed table's columns the light-curve model reads (``magerr`` only when it needs it).
SEQUENCE_COLUMNS = ["objectid", "mjd", "mag"]


def read_sequences(path: StrPath, errors: bool = False) -> pa.Table:
    """A preprocessed shard's columns the light-curve model reads, errors named by the file."""
    columns = SEQUENCE_COLUMNS + (["magerr"] if errors else [])
    try:
        return pq.read_table(path, columns=columns)
    except (KeyError, pa.ArrowInvalid) as err:
        raise KeyError(f"{path}: columns {columns} needed by the light-curve model: {err}") from err


def read_shard_sequences(
    preprocessed_path: StrPath, errors: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """(objectids, offsets, times, mags, errors) of a preprocessed shard's ≤ 200-night light
    curves (errors only when asked, else None)."""
    table = read_sequences(preprocessed_path, errors)
    return (table.column("objectid").to_numpy(), *table_sequences(table, errors))


def classify_table(
    model: Classifier | OnnxClassifier,
    classes: Sequence[str],
    table: pa.Table,
    batch_size: int = 256,
    with_embeddings: bool = False,
) -> pa.Table:
    """``objectid``, ``p_lc_<class>`` per light curve of ``table`` (``objectid``, ``mjd``,
    ``mag``, and ``magerr`` for a model that takes errors), and ``embedding`` (a fixed-size
    list: the pooled embedding) if asked."""
    offsets, times, mags, errors = table_sequences(table, takes_errors(model.encoder_config))
    probs, emb = classify(
        model,
        offsets,
        times,
        mags,
        batch_size,
        with_embeddings=with_embeddings,
        errors=errors,
    )
    columns = {"objectid": table.column("objectid").combine_chunks()}
    for k, name in enumerate(classes):
        columns[f"p_lc_{name}"] = pa.array(probs[:, k])
    if emb is not None:
        columns["embedding"] = pa.FixedSizeListArray.from_arrays(
            pa.array(emb.ravel()), emb.shape[1]
        )
    return pa.table(columns)


def classify_shard(
    model: Classifier | OnnxClassifier,
    classes: Sequence[str],
    preprocessed_path: StrPath,
    batch_size: int = 256,
    with_embeddings: bool = False,
) -> pa.Table:
    """:func:`classify_table` on one preprocessed shard."""
    table = read_sequences(preprocessed_path, takes_errors(model.encoder_config))
    return classify_table(model, classes, table, batch_size, with_embeddings)
