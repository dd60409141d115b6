"""The two training stages of the QZO light-curve model, with one resumable training loop.

Stage 1 (semi-supervised): masked reconstruction of magnitudes (50% of the real epochs are
predicted; of those 20% keep their value, 20% get another epoch's magnitude, 60% are hidden),
masked RMSE, Adam(1e-3, β2 0.98, ε 1e-9); masks are drawn anew every epoch.
Stage 2 (supervised): masked mean of the embeddings over real epochs (``pooling: mean``; with
``mean_std`` also their standard deviation) → Dense 1024, 512, 256 ReLU
→ LayerNormalization → Dense(n_classes); softmax cross-entropy; Adam 1e-3, 5e-4 from epoch 4,
1e-4 from epoch 9 (1-based; all scaled by the stage's ``learning_rate`` / 1e-3); batch 32.
Both stop early on the validation loss and resume from their last checkpoint when restarted.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import layers, ops

from qzo.config.settings import PLATEAU_EPOCHS, StageSettings
from qzo.io import StrPath
from qzo.io.atomic import atomic_path
from qzo.models.astromer import backend
from qzo.models.astromer.encoder import AstromerEncoder
from qzo.models.astromer.windows import Windows

log = logging.getLogger(__name__)


def seed_training(seed: int) -> None:
    """Seed every generator training draws from (weight initialisation, dropout; Python, NumPy
    and the backend), so that a rerun of a training job writes the same weights and catalogs."""
    keras.utils.set_random_seed(seed)


class _OwnLoss(keras.Model):
    """A model that trains on its own :meth:`training_loss` through Keras's training steps
    (``compile`` + ``train_on_batch``, on any backend)."""

    def training_loss(self, y: Any, y_pred: Any, sample_weight: Any) -> Any:
        raise NotImplementedError

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        return self.training_loss(y, y_pred, sample_weight)


class Reconstructor(_OwnLoss):
    """Stage 1: the encoder plus the pretraining head (LayerNorm → Dense(1))."""

    def __init__(self, encoder: AstromerEncoder, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.encoder = encoder
        self.norm = layers.LayerNormalization(epsilon=1e-6, name="bn_0")
        self.out = layers.Dense(1, name="reg_layer")

    @property
    def architecture(self) -> dict[str, Any]:
        return {"encoder": self.encoder.config_, "head": "layernorm-dense1"}

    def call(self, inputs: dict[str, Any], training: bool = False) -> Any:
        return self.out(self.norm(self.encoder(inputs, training=training)))

    def training_loss(self, y: Any, y_pred: Any, sample_weight: Any) -> Any:
        """Masked RMSE of the reconstructed magnitudes ``y_pred`` against ``y``, over the
        epochs whose ``sample_weight`` is 1 (those chosen by the mask)."""
        return masked_rmse(y, y_pred, sample_weight)


#: How stage 2 summarises a light curve's embeddings over its real epochs.
POOLINGS = ("mean", "mean_std")


class Classifier(_OwnLoss):
    """Stage 2: the encoder, a summary of its embeddings over real epochs (``pooling``: their
    mean, the paper's; or mean and standard deviation, so the head sees how much the epochs'
    representations vary, not only their average), and the classification head."""

    def __init__(
        self,
        encoder: AstromerEncoder,
        n_classes: int = 3,
        hidden: tuple[int, ...] = (1024, 512, 256),
        pooling: str = "mean",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if pooling not in POOLINGS:
            raise ValueError(f"pooling {pooling!r}: expected one of {POOLINGS}")
        self.encoder = encoder
        self.pooling = pooling
        self.hidden = [
            layers.Dense(h, activation="relu", name=f"fc_{i}") for i, h in enumerate(hidden)
        ]
        self.norm = layers.LayerNormalization(name="head_norm")
        self.logits = layers.Dense(n_classes, name="logits")

    @property
    def architecture(self) -> dict[str, Any]:
        hidden = [layer.units for layer in self.hidden]
        return {
            "encoder": self.encoder.config_,
            "hidden": hidden,
            "classes": self.logits.units,
            "pooling": self.pooling,
        }

    @property
    def encoder_config(self) -> dict[str, Any]:
        return self.encoder.config_

    @property
    def n_classes(self) -> int:
        return self.logits.units

    @property
    def pooled_size(self) -> int:
        """Length of the vector :meth:`embed` returns."""
        return self.encoder.config_["d_model"] * (2 if self.pooling == "mean_std" else 1)

    def embed(self, inputs: dict[str, Any], training: bool = False) -> Any:
        """(B, pooled_size): the pooled embeddings over each window's real epochs."""
        emb = ops.cast(self.encoder(inputs, training=training), "float32")
        real = 1.0 - ops.cast(inputs["mask"], "float32")
        count = ops.maximum(ops.sum(real, axis=1), 1.0)
        mean = ops.sum(emb * real, axis=1) / count
        if self.pooling == "mean":
            return mean
        var = ops.sum(ops.square(emb - mean[:, None, :]) * real, axis=1) / count
        return ops.concatenate([mean, ops.sqrt(var + 1e-6)], axis=-1)

    def head(self, x: Any) -> Any:
        for layer in self.hidden:
            x = layer(x)
        return self.logits(self.norm(x))

    def call(self, inputs: dict[str, Any], training: bool = False) -> Any:
        return self.head(self.embed(inputs, training=training))

    def training_loss(self, y: Any, y_pred: Any, sample_weight: Any) -> Any:
        """Softmax cross-entropy of the logits ``y_pred`` against the class indices ``y``,
        averaged over the light curves (those of ``sample_weight`` 1, when given)."""
        losses = keras.losses.sparse_categorical_crossentropy(y, y_pred, from_logits=True)
        if sample_weight is None:
            return ops.mean(losses)
        return weighted_mean(losses, ops.cast(sample_weight, losses.dtype))

    def logits_and_embedding(self, inputs: dict[str, Any]) -> tuple[Any, Any]:
        """Inference: class logits and the pooled embedding, from one pass of the encoder."""
        emb = self.embed(inputs)
        return self.head(emb), emb


def pretraining_batch(
    win: Windows,
    rng: np.random.Generator,
    fraction: float = 0.5,
    random: float = 0.2,
    same: float = 0.2,
) -> tuple[dict, np.ndarray, np.ndarray]:
    """Inputs with a fresh mask: (inputs, target magnitudes, loss weights), all (B, S, 1)."""
    real = win.mask[..., 0] == 0
    chosen = real & (rng.random(real.shape) < fraction)
    u = rng.random(real.shape)
    keep = chosen & (u < same)
    swap = chosen & (u >= same) & (u < same + random)
    hide = chosen & ~keep & ~swap
    mags = win.mags[..., 0].copy()
    # A swapped epoch gets the magnitude of another real epoch of the same window.
    rows, cols = np.nonzero(swap)
    if len(rows):
        n_real = real.sum(axis=1)
        other = (rng.random(len(rows)) * n_real[rows]).astype(np.int64)
        mags[rows, cols] = win.mags[rows, other, 0]
    mags[hide] = 0.0
    mask = win.mask[..., 0].copy()
    mask[hide] = 1.0  # hidden epochs are treated like padding, as in the original
    inputs = win.inputs()
    inputs["mags"] = mags[..., None].astype(np.float32)
    inputs["mask"] = mask[..., None].astype(np.float32)
    if "errors" in inputs:  # a hidden epoch's error is hidden too (a swapped one keeps its own)
        inputs["errors"] = np.where(hide[..., None], np.float32(0), inputs["errors"])
    return inputs, win.mags, chosen[..., None].astype(np.float32)


def full_batch(batch: tuple, size: int) -> tuple:
    """``(inputs, targets[, weights])`` as ``(inputs, targets, weights)`` (weights of one when
    not given), a batch of fewer than ``size`` rows filled up to ``size`` with copies of its
    first row that weigh nothing in the loss. Every step then has the same shape, so Keras
    traces (TensorFlow) or compiles (JAX) the training and validation steps once, not once more
    for an epoch's last, shorter batch; the loss is the one of the real rows."""
    inputs, targets, *given = batch
    weights = given[0] if given else np.ones(len(targets), dtype=np.float32)
    missing = size - len(targets)
    if missing <= 0:
        return inputs, targets, weights
    first = np.zeros(missing, dtype=np.int64)

    def fill(values: np.ndarray, with_values: np.ndarray) -> np.ndarray:
        return np.concatenate([values, with_values[first]])

    return (
        {name: fill(values, values) for name, values in inputs.items()},
        fill(targets, targets),
        fill(weights, np.zeros_like(weights)),
    )


def weighted_mean(values: Any, weight: Any) -> Any:
    """The mean of ``values`` weighted by ``weight`` (0 when every weight is 0)."""
    return ops.sum(weight * values) / ops.maximum(ops.sum(weight), 1.0)


def masked_rmse(target: Any, pred: Any, weight: Any) -> Any:
    return ops.sqrt(weighted_mean((target - pred) ** 2, weight))


#: The paper's stage-2 learning rates as divisors of the initial one, and the epochs (1-based)
#: from which each applies; schedule ``plateau`` steps through the same rates on validation
#: plateaus.
RATE_DIVISORS = (1, 2, 10)
PAPER_STEP_EPOCHS = (1, 4, 9)


def finetune_learning_rate(epoch: int, initial: float = 1e-3) -> float:
    """The paper's schedule (1e-3, 5e-4 from epoch 4, 1e-4 from epoch 9) relative to the
    ``initial`` rate; ``epoch`` is 1-based."""
    step = sum(epoch >= start for start in PAPER_STEP_EPOCHS) - 1
    return initial / RATE_DIVISORS[step]


def plateau_step(step: int, wait: int) -> int:
    """Schedule ``plateau``: the rate step after an epoch that leaves ``wait`` epochs without a
    better validation loss (one step down every :data:`PLATEAU_EPOCHS` of them, to the last)."""
    if wait and wait % PLATEAU_EPOCHS == 0:
        return min(step + 1, len(RATE_DIVISORS) - 1)
    return step


def _slice(inputs: dict, idx: Any) -> dict:
    return {k: v[idx] for k, v in inputs.items()}


def training_fingerprint(model: Any, settings: StageSettings, *arrays: np.ndarray) -> str:
    """What a training run is a function of: the stage's settings (its seed included), the
    model's architecture and its initial weights (those built so far: the encoder, published or
    seeded), and the training and validation data."""
    digest = hashlib.sha256()
    digest.update(LAST_CHECKPOINT.encode())  # the format: folders of older formats start over
    digest.update(json.dumps(dataclasses.asdict(settings), sort_keys=True).encode())
    digest.update(type(model).__name__.encode())
    digest.update(json.dumps(model.architecture, sort_keys=True).encode())
    for array in [*model.get_weights(), *arrays]:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def write_weights(model: keras.Model, path: StrPath) -> None:
    """``model.save_weights`` to ``path`` atomically, whatever its name (Keras insists on a
    ``.weights.h5`` suffix, so the temporary file gets one)."""
    with atomic_path(path) as tmp:
        h5 = Path(str(tmp) + ".weights.h5")
        model.save_weights(h5)
        h5.rename(tmp)


#: The file in a checkpoint folder that records what its checkpoints were trained on.
FINGERPRINT = "fingerprint.txt"

#: The resumable checkpoint in a stage's checkpoint folder.
LAST_CHECKPOINT = "last.npz"


def _checkpoints_for(checkpoint_dir: Path, fingerprint: str) -> None:
    """Keep the checkpoint folder only if it was made by the same training (same fingerprint);
    otherwise discard it, saying so, and start it anew."""
    marker = checkpoint_dir / FINGERPRINT
    if checkpoint_dir.exists() and any(checkpoint_dir.iterdir()):
        found = marker.read_text().strip() if marker.exists() else None
        if found != fingerprint:
            log.warning(
                "%s: checkpoints of another training (other data, settings or initial "
                "weights): discarded, training starts from epoch 0",
                checkpoint_dir,
            )
            shutil.rmtree(checkpoint_dir)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(marker) as tmp:
        tmp.write_text(fingerprint + "\n")


def fit_resumable(
    model: keras.Model,
    optimizer: keras.optimizers.Optimizer,
    make_train_epoch: Callable[[int], list],
    validation: list,
    settings: StageSettings,
    checkpoint_dir: StrPath,
    log_path: StrPath,
    fingerprint: str,
    learning_rate: Callable[[int], float] | None = None,
) -> dict:
    """Train with early stopping on the validation loss; resumable after a kill.

    Training stops after ``settings.patience`` epochs without the validation loss falling by
    more than ``settings.min_delta`` (relative) below its best; the best weights are kept. The
    learning rate is ``learning_rate(epoch)`` (the stage's ``paper`` schedule; constant
    ``settings.learning_rate`` without one), or, with ``settings.schedule == "plateau"``, steps
    through :data:`RATE_DIVISORS` on validation plateaus (:func:`plateau_step`).

    ``make_train_epoch(epoch)`` returns that epoch's batches (so masks and shuffles can be drawn
    anew each epoch), each ``(inputs, targets)`` or ``(inputs, targets, weights)`` for the
    model's own ``compute_loss``; Keras compiles the steps for whichever backend it runs on,
    once: every batch, training and validation, is filled to ``settings.batch_size`` with rows
    of weight 0 (:func:`full_batch`). A checkpoint (every model and optimizer variable, epoch,
    best loss, patience counter; one ``.npz``) is written after every epoch, the best weights
    beside it; per-epoch metrics are appended to ``log_path`` (CSV). A checkpoint is resumed
    only by the training that made it (:func:`training_fingerprint`): one made from other
    data, settings or initial weights is discarded and the log starts over. Returns the
    summary: epochs run, best validation loss, whether early stopping ended it, and the Keras
    backend it trained on.
    """
    ckpt_dir = Path(checkpoint_dir)
    _checkpoints_for(ckpt_dir, fingerprint)
    size = settings.batch_size
    validation = [full_batch(b, size) for b in validation]
    model.compile(optimizer=optimizer, jit_compile=backend.train_jit_compile())
    last_path, best_path = ckpt_dir / LAST_CHECKPOINT, ckpt_dir / "best.weights.h5"
    state: dict[str, Any] = {"epoch": 0, "best": float(np.inf), "wait": 0, "step": 0}
    # Create every variable first (a checkpoint restores into them; and a step that creates
    # variables would be traced twice).
    if validation:
        model.test_on_batch(*validation[0])
    optimizer.build(model.trainable_variables)
    if last_path.exists():
        state = restore_checkpoint(last_path, model, optimizer)

    log_path = Path(log_path)
    new_log = not log_path.exists() or state["epoch"] == 0
    with open(log_path, "w" if new_log else "a", newline="") as fh:
        writer = csv.writer(fh)
        if new_log:
            writer.writerow(["epoch", "train_loss", "val_loss", "learning_rate", "seconds"])
        while state["epoch"] < settings.epochs and state["wait"] < settings.patience:
            epoch = state["epoch"] + 1
            if settings.schedule == "plateau":
                lr = settings.learning_rate / RATE_DIVISORS[state["step"]]
            else:
                lr = learning_rate(epoch) if learning_rate else settings.learning_rate
            optimizer.learning_rate.assign(lr)
            t0 = time.perf_counter()
            train = [
                float(model.train_on_batch(*full_batch(b, size))) for b in make_train_epoch(epoch)
            ]
            val = float(np.mean([float(model.test_on_batch(*b)) for b in validation]))
            writer.writerow(
                [
                    epoch,
                    f"{np.mean(train):.6f}",
                    f"{val:.6f}",
                    lr,
                    f"{time.perf_counter() - t0:.2f}",
                ]
            )
            fh.flush()
            best = state["best"]
            if val < best:
                state["best"] = val
                write_weights(model, best_path)
            # Patience restarts only on a real improvement (min_delta: a relative threshold).
            state["wait"] = 0 if val < best * (1.0 - settings.min_delta) else state["wait"] + 1
            state["step"] = plateau_step(state["step"], state["wait"])
            state["epoch"] = epoch
            save_checkpoint(last_path, model, optimizer, state)
    if best_path.exists():
        model.load_weights(best_path)
    summary = {
        "epochs_run": state["epoch"],
        "best_val_loss": state["best"],
        "stopped_early": state["wait"] >= settings.patience,
        "keras_backend": keras.backend.backend(),  # the backend that trained it
    }
    (ckpt_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def save_checkpoint(
    path: StrPath, model: keras.Model, optimizer: keras.optimizers.Optimizer, state: dict
) -> None:
    """Every variable of the model (weights and random-seed states) and of the optimizer, by
    position, and the loop's ``state``, as one ``.npz`` written atomically."""
    arrays = {
        f"{prefix}/{i}": keras.ops.convert_to_numpy(variable.value)
        for prefix, variables in (("model", model.variables), ("optimizer", optimizer.variables))
        for i, variable in enumerate(variables)
    }
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, state=np.array(json.dumps(state)), **arrays)


def restore_checkpoint(
    path: StrPath, model: keras.Model, optimizer: keras.optimizers.Optimizer
) -> dict:
    """Assign a :func:`save_checkpoint` file's variables by position (the fingerprint ensures
    the same architecture; names are not stable: Keras numbers its layers per process); returns
    the loop's state."""
    with np.load(path) as saved:
        for prefix, variables in (("model", model.variables), ("optimizer", optimizer.variables)):
            count = sum(1 for key in saved.files if key.startswith(f"{prefix}/"))
            shapes = [saved[f"{prefix}/{i}"].shape for i in range(count)]
            if shapes != [tuple(v.shape) for v in variables]:
                raise ValueError(f"{path}: the {prefix}'s variables differ from the checkpoint's")
            for i, variable in enumerate(variables):
                variable.assign(saved[f"{prefix}/{i}"])
        return dict(json.loads(str(saved["state"])))


def pretrain(
    encoder: AstromerEncoder,
    train: Windows,
    val: Windows,
    settings: StageSettings,
    checkpoint_dir: StrPath,
    log_path: StrPath,
) -> dict:
    """Stage 1 on windows of training light curves (no labels needed)."""
    model = Reconstructor(encoder)
    optimizer = keras.optimizers.Adam(settings.learning_rate, beta_2=0.98, epsilon=1e-9)
    val_rng = np.random.default_rng([settings.seed, 10**6])  # one fixed validation mask
    val_batches = []
    for s in range(0, len(val.owner), settings.batch_size):
        sub = val.take(slice(s, s + settings.batch_size))
        val_batches.append(pretraining_batch(sub, val_rng))

    def epoch_batches(epoch: int) -> list:
        rng = np.random.default_rng([settings.seed, epoch])  # masks re-drawn every epoch
        order = rng.permutation(len(train.owner))
        return [
            pretraining_batch(train.take(order[s : s + settings.batch_size]), rng)
            for s in range(0, len(order), settings.batch_size)
        ]

    fingerprint = training_fingerprint(model, settings, *_arrays(train), *_arrays(val))
    return fit_resumable(
        model,
        optimizer,
        epoch_batches,
        val_batches,
        settings,
        checkpoint_dir,
        log_path,
        fingerprint,
    )


def finetune(
    classifier: Classifier,
    train: Windows,
    y_train: np.ndarray,
    val: Windows,
    y_val: np.ndarray,
    settings: StageSettings,
    checkpoint_dir: StrPath,
    log_path: StrPath,
) -> dict:
    """Stage 2: the classifier on labelled windows (one window per light curve)."""
    for win, y in ((train, y_train), (val, y_val)):
        if len(win.owner) != len(y) or np.any(win.owner != np.arange(len(y))):
            raise ValueError(
                "finetune needs one window per labelled light curve "
                "(make_windows(..., single=True))"
            )
    optimizer = keras.optimizers.Adam(settings.learning_rate)
    inputs_val = val.inputs()
    val_batches = [
        (_slice(inputs_val, slice(s, s + settings.batch_size)), y_val[s : s + settings.batch_size])
        for s in range(0, len(y_val), settings.batch_size)
    ]
    inputs_train = train.inputs()

    def epoch_batches(epoch: int) -> list:
        order = np.random.default_rng([settings.seed, epoch]).permutation(len(y_train))
        return [
            (
                _slice(inputs_train, order[s : s + settings.batch_size]),
                y_train[order[s : s + settings.batch_size]],
            )
            for s in range(0, len(order), settings.batch_size)
        ]

    fingerprint = training_fingerprint(
        classifier, settings, *_arrays(train), y_train, *_arrays(val), y_val
    )
    return fit_resumable(
        classifier,
        optimizer,
        epoch_batches,
        val_batches,
        settings,
        checkpoint_dir,
        log_path,
        fingerprint,
        lambda epoch: finetune_learning_rate(epoch, settings.learning_rate),
    )


def _arrays(win: Windows) -> list[np.ndarray]:
    """The arrays a training run's fingerprint covers: every input of the windows."""
    return list(win.inputs().values())
