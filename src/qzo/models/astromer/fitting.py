"""The two Astromer training stages on training-set tables: which rows train and validate, the
encoder to start from, and the classifier's probabilities for a table's light curves.

A training-set table (rule ``labels``) holds per light curve ``objectid``, ``mjd``, ``mag`` and
``magerr`` lists (≤ 200 nights), ``label``, ``split`` (train / val / test) and ``fold``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from qzo.arrays.hashrng import hashed_uniform
from qzo.config.settings import ENCODER_OPTIONS, AstromerSettings
from qzo.io import StrPath
from qzo.models.astromer.encoder import AstromerEncoder, takes_errors
from qzo.models.astromer.infer import (
    CLASS_NAMES,
    classify_table,
    read_sequences,
    table_sequences,
)
from qzo.models.astromer.train import Classifier, finetune, pretrain, seed_training
from qzo.models.astromer.weights import load_pretrained_encoder, resolve_weights
from qzo.models.astromer.windows import Windows, make_windows


def training_log(checkpoint_dir: StrPath) -> Path:
    """The per-epoch metrics (CSV) a resumable training run keeps beside its checkpoints; the
    stages copy it to their ``metrics`` output once training has finished."""
    return Path(checkpoint_dir) / "metrics.csv"


def split_mask(table: pa.Table, name: str) -> np.ndarray:
    """Rows of the split ``name`` (train, val or test)."""
    return np.asarray(table.column("split").to_numpy(zero_copy_only=False) == name)


def rows(table: pa.Table, mask: np.ndarray) -> pa.Table:
    """The rows of ``table`` where ``mask`` is true."""
    return table.filter(pa.array(np.asarray(mask, dtype=bool)))


def table_windows(table: pa.Table, encoder: AstromerEncoder) -> Windows:
    """One window per light curve of the table, with the inputs ``encoder`` takes."""
    offsets, times, mags, errors = table_sequences(table, takes_errors(encoder.config_))
    window = encoder.config_["window"]
    return make_windows(offsets, times, mags, window, single=True, errors=errors)


def initial_encoder(settings: AstromerSettings, cache_dir: StrPath) -> AstromerEncoder:
    """The encoder stage 1 starts from: the published weights ``init_weights`` (their
    ``conf.json`` sets the architecture; zips and downloads unpacked in ``cache_dir``), or random
    weights with the configured sizes."""
    if settings.init_weights:
        weights = resolve_weights(settings.init_weights, cache_dir, settings.init_weights_sha256)
        options = {k: getattr(settings, k) for k in ENCODER_OPTIONS}
        return load_pretrained_encoder(weights, settings.window, **options)
    return AstromerEncoder(**settings.architecture).build_for_window()


def sky_sample(
    objects: Sequence[StrPath], total: int, settings: AstromerSettings
) -> tuple[pa.Table, dict]:
    """Stage 1's light curves from the sky: the preprocessed shards (``objects``, ``total``
    light curves in all) read one at a time, keeping a seeded sample of about
    ``pretrain_sample_size`` (every one when the sky is smaller) with a ``split`` column (``val``
    for a ``pretrain_val_fraction`` share, else ``train``). Membership is a hash of ``objectid``
    and the stage's seed, so it does not depend on how the sky is sharded."""
    keep = min(1.0, settings.pretrain_sample_size / max(total, 1))
    parts = []
    for path in objects:
        shard = read_sequences(path, errors=settings.error_input)
        u = hashed_uniform(shard.column("objectid").to_numpy(), settings.pretrain.seed)
        chosen = u < keep
        split = np.where(u[chosen] < keep * settings.pretrain_val_fraction, "val", "train")
        parts.append(
            shard.filter(pa.array(chosen)).append_column("split", pa.array(split, pa.string()))
        )
    table = pa.concat_tables(parts) if parts else pa.table({"split": pa.array([], pa.string())})
    counts = {name: int(split_mask(table, name).sum()) for name in ("train", "val")}
    if min(counts.values()) == 0:
        raise ValueError(
            f"stage 1 sky sample: {counts['train']} train and {counts['val']} val light curves "
            f"of {total}; raise astromer.pretrain_sample_size or pretrain_val_fraction"
        )
    return table, {"sky_light_curves": total, "sample": counts}


def pretrain_encoder(
    table: pa.Table,
    settings: AstromerSettings,
    checkpoint_dir: StrPath,
    weights_cache: StrPath,
) -> tuple[AstromerEncoder, dict]:
    """Stage 1 on the train split of ``table`` (early stopping on its val split), resumable
    from ``checkpoint_dir`` (its per-epoch log: :func:`training_log`); returns the encoder and
    the training summary. ``table``: the training set or a :func:`sky_sample`."""
    seed_training(settings.pretrain.seed)
    encoder = initial_encoder(settings, weights_cache)
    train = table_windows(rows(table, split_mask(table, "train")), encoder)
    val = table_windows(rows(table, split_mask(table, "val")), encoder)
    summary = pretrain(
        encoder, train, val, settings.pretrain, checkpoint_dir, training_log(checkpoint_dir)
    )
    return encoder, {**summary, "encoder": encoder.config_}


def load_encoder(weights: StrPath, summary: StrPath) -> AstromerEncoder:
    """The encoder stage 1 wrote: its architecture from ``summary``, its ``weights``."""
    config = json.loads(Path(summary).read_text())["encoder"]
    encoder = AstromerEncoder(**config).build_for_window()
    encoder.load_weights(weights)
    return encoder


def finetune_classifier(
    table: pa.Table,
    train_mask: np.ndarray,
    encoder_weights: StrPath,
    encoder_summary: StrPath,
    settings: AstromerSettings,
    checkpoint_dir: StrPath,
) -> tuple[Classifier, dict]:
    """Stage 2 on the rows of ``train_mask`` (early stopping on the val split) from the encoder
    stage 1 wrote, resumable from ``checkpoint_dir`` (its per-epoch log: :func:`training_log`);
    returns the classifier and the training summary."""
    seed_training(settings.finetune.seed)  # before any weight is drawn
    encoder = load_encoder(encoder_weights, encoder_summary)
    parts = {"train": rows(table, train_mask), "val": rows(table, split_mask(table, "val"))}
    wins = {s: table_windows(t, encoder) for s, t in parts.items()}
    labels = {s: t.column("label").to_numpy().astype(np.int64) for s, t in parts.items()}
    model = Classifier(encoder, n_classes=len(CLASS_NAMES), pooling=settings.pooling)
    summary = finetune(
        model,
        wins["train"],
        labels["train"],
        wins["val"],
        labels["val"],
        settings.finetune,
        checkpoint_dir,
        training_log(checkpoint_dir),
    )
    return model, summary


def class_probabilities(model: Classifier, table: pa.Table) -> pd.DataFrame:
    """``objectid`` and ``p_lc_<class>`` for the light curves of ``table``."""
    return classify_table(model, CLASS_NAMES, table).to_pandas()
