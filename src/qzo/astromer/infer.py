"""Saved light-curve classifiers, and batched classification of one preprocessed shard."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..io import atomic_path, write_parquet_atomic
from .encoder import AstromerEncoder
from .train import Classifier
from .windows import compact_windows, make_windows

CLASS_NAMES = ("galaxy", "QSO", "star")


def save_classifier(model: Classifier, directory, class_names=CLASS_NAMES) -> Path:
    """``config.json`` (architecture, classes) and ``classifier.weights.h5``, written atomically."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    config = {
        "encoder": model.encoder.config_,
        "hidden": [layer.units for layer in model.hidden],
        "classes": list(class_names),
    }
    with atomic_path(out / "classifier.weights.h5") as tmp:
        model.save_weights(str(tmp) + ".weights.h5")
        Path(str(tmp) + ".weights.h5").rename(tmp)
    with atomic_path(out / "config.json") as tmp:
        tmp.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    return out


def load_classifier(directory) -> tuple[Classifier, list[str]]:
    directory = Path(directory)
    config = json.loads((directory / "config.json").read_text())
    encoder = AstromerEncoder(**config["encoder"]).build_for_window()
    model = Classifier(encoder, n_classes=len(config["classes"]), hidden=tuple(config["hidden"]))
    window = config["encoder"]["window"]
    zeros = np.zeros((1, window, 1), np.float32)
    model({"times": zeros, "mags": zeros, "mask": zeros})
    model.load_weights(directory / "classifier.weights.h5")
    return model, config["classes"]


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def classify(
    model: Classifier,
    offsets,
    times,
    mags,
    batch_size: int = 256,
    exact: bool = False,
    with_embeddings: bool = False,
):
    """Class probabilities (n, n_classes) and, optionally, mean embeddings (n, d_model).

    One window per light curve (the pipeline keeps ≤ 200 nights). The default runs the compact
    windows (padding folded into one token, windows batched by length) as a graph; ``exact``
    runs the full windows eagerly.
    """
    import tensorflow as tf

    window = model.encoder.config_["window"]
    win = make_windows(
        np.asarray(offsets), np.asarray(times), np.asarray(mags), window, single=True
    )
    n = len(win.owner)
    logits = np.zeros((n, model.logits.units), np.float32)
    emb = np.zeros((n, model.encoder.config_["d_model"]), np.float32) if with_embeddings else None
    if exact:
        batches = [
            (
                {
                    "times": win.times[s : s + batch_size],
                    "mags": win.mags[s : s + batch_size],
                    "mask": win.mask[s : s + batch_size],
                },
                np.arange(s, min(n, s + batch_size)),
            )
            for s in range(0, n, batch_size)
        ]
    else:
        batches = [(b.inputs, b.index) for b in compact_windows(win, batch_size)]
    run_head = tf.function(lambda x: (model(x), model.embed(x)), reduce_retracing=True)
    for inputs, index in batches:
        out_logits, out_emb = (model(inputs), model.embed(inputs)) if exact else run_head(inputs)
        logits[index] = np.asarray(out_logits)
        if emb is not None:
            emb[index] = np.asarray(out_emb)
    return _softmax(logits.astype(np.float64)).astype(np.float32), emb


def classify_shard(
    model: Classifier,
    classes,
    preprocessed_path,
    out_path,
    batch_size: int = 256,
    with_embeddings: bool = False,
) -> pd.DataFrame:
    """``p_lc_<class>`` per objectid of one preprocessed shard (and ``embedding`` if asked)."""
    table = pq.read_table(preprocessed_path, columns=["objectid", "mjd", "mag"])
    mjd = table.column("mjd").combine_chunks()
    offsets = mjd.offsets.to_numpy() - mjd.offsets.to_numpy()[0]
    times = mjd.flatten().to_numpy()
    mags = table.column("mag").combine_chunks().flatten().to_numpy()
    probs, emb = classify(model, offsets, times, mags, batch_size, with_embeddings=with_embeddings)
    out = pd.DataFrame({"objectid": table.column("objectid").to_numpy()})
    for k, name in enumerate(classes):
        out[f"p_lc_{name}"] = probs[:, k]
    result = pa.Table.from_pandas(out, preserve_index=False)
    if emb is not None:
        d = emb.shape[1]
        result = result.append_column(
            "embedding", pa.FixedSizeListArray.from_arrays(pa.array(emb.ravel()), d)
        )
    write_parquet_atomic(result, out_path)
    return out
