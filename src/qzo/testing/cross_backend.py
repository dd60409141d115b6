"""The light-curve model on a second Keras backend, for the cross-backend test.

A process runs on one backend only, so the test (on TensorFlow) writes its inputs and weights
into a folder and runs :func:`other_backend` in a child process with ``KERAS_BACKEND`` set:
``python -c 'from qzo.testing.cross_backend import other_backend; other_backend(FOLDER)'``.

Inputs (``inputs.npz``): ``offsets``, ``times``, ``mags``, ``errors`` of the light curves to
embed and classify; ``train_*`` and ``val_*`` (offsets, times, mags, labels) of a small training
problem. Weights: ``encoder_<name>.json`` + ``encoder_<name>.weights.h5`` (encoders saved by the
test) and ``tf_classifier.json`` + ``tf_classifier.weights.h5`` (a classifier trained on
TensorFlow). Writes ``<backend>.npz`` (``embeddings_<name>`` and ``mean_embeddings_<name>`` per
encoder, ``tf_classifier_probs``, ``own_classifier_probs``) and its own classifier as
``<backend>_classifier.{json,weights.h5}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from qzo.io import StrPath

#: The small problem's classes.
CLASSES = ("constant", "variable")

#: The training settings both backends use for the small problem.
TRAINING = {"epochs": 3, "batch_size": 32, "patience": 10, "seed": 1}


def windows(data: dict, prefix: str, window: int) -> tuple:
    """Single windows of ``data``'s ``<prefix>offsets/times/mags`` (and errors, if any), and
    its labels (if any)."""
    from qzo.models.astromer.windows import make_windows

    win = make_windows(
        data[f"{prefix}offsets"],
        data[f"{prefix}times"],
        data[f"{prefix}mags"],
        window,
        single=True,
        errors=data.get(f"{prefix}errors"),
    )
    return win, data.get(f"{prefix}labels")


def train_small_classifier(encoder_config: dict, data: dict, folder: StrPath) -> Any:
    """A 2-class classifier on the encoder config, trained (seeded) on ``train_*``/``val_*``."""
    import keras

    from qzo.config import StageSettings, default_config
    from qzo.models.astromer.encoder import AstromerEncoder
    from qzo.models.astromer.train import Classifier, finetune

    keras.utils.set_random_seed(11)
    model = Classifier(AstromerEncoder(**encoder_config).build_for_window(), 2, hidden=(16,))
    settings = StageSettings.from_config({**default_config()["astromer"]["finetune"], **TRAINING})
    train, y_train = windows(data, "train_", encoder_config["window"])
    val, y_val = windows(data, "val_", encoder_config["window"])
    folder = Path(folder)
    finetune(model, train, y_train, val, y_val, settings, folder, folder / "log.csv")
    return model


def other_backend(folder: StrPath) -> None:
    """Everything the cross-backend test compares, computed on this process's backend."""
    from qzo.models.astromer import backend
    from qzo.models.astromer.embed import encode_windows, mean_embeddings
    from qzo.models.astromer.encoder import AstromerEncoder
    from qzo.models.astromer.infer import classify, load_classifier, save_classifier

    folder = Path(folder)
    name = backend.name()
    data = dict(np.load(folder / "inputs.npz"))
    lcs = (data["offsets"], data["times"], data["mags"])
    out: dict[str, Any] = {}
    for config_path in sorted(folder.glob("encoder_*.json")):
        encoder_name = config_path.stem.removeprefix("encoder_")
        config = json.loads(config_path.read_text())
        encoder = AstromerEncoder(**config).build_for_window()
        encoder.load_weights(config_path.with_suffix(".weights.h5"))
        win, _ = windows(data, "", config["window"])
        out[f"embeddings_{encoder_name}"] = encode_windows(encoder, win)
        if not config["error_input"]:
            out[f"mean_embeddings_{encoder_name}"] = mean_embeddings(encoder, *lcs)
    tf_model, _ = load_classifier(
        folder / "tf_classifier.json", folder / "tf_classifier.weights.h5"
    )
    own = train_small_classifier(tf_model.encoder_config, data, folder / f"{name}_training")
    save_classifier(
        own, folder / f"{name}_classifier.json", folder / f"{name}_classifier.weights.h5", CLASSES
    )
    out["tf_classifier_probs"] = classify(tf_model, *lcs)[0]
    out["own_classifier_probs"] = classify(own, *lcs)[0]
    np.savez(folder / f"{name}.npz", **out)
