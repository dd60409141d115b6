"""Stages of ``rules/astromer.smk``: pretraining, fine-tuning (full and per cross-fitting fold),
classification of groups of shards, and the check that every object was classified once.

Keras is imported inside the stages, after each has set its backend (``astromer.keras_backend``),
so importing this module stays cheap."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from qzo.config.settings import AstromerSettings
from qzo.io import StrPath
from qzo.io.atomic import atomic_path, write_json_atomic, write_parquet_atomic
from qzo.io.ids import check_one_each

log = logging.getLogger(__name__)


def _settings(settings: dict, training: bool, threads: int | None = None) -> AstromerSettings:
    """The ``astromer`` section's settings (a training rule's, or inference's whole section),
    with Keras set to run on its ``keras_backend`` and, given the job's ``threads``, TensorFlow
    on that many CPU threads (:func:`qzo.models.astromer.backend.limit_cpu_threads`)."""
    from qzo.models.astromer.backend import limit_cpu_threads, select

    cfg = (AstromerSettings.for_training if training else AstromerSettings.from_config)(settings)
    select(cfg.keras_backend)
    if threads is not None:
        limit_cpu_threads(threads)
    return cfg


def _copy_log(checkpoints: StrPath, metrics: StrPath) -> None:
    """The training run's per-epoch log, copied to the stage's ``metrics`` output."""
    from qzo.models.astromer.fitting import training_log

    with atomic_path(metrics) as tmp:
        shutil.copyfile(training_log(checkpoints), tmp)


def astromer_pretrain(
    *,
    settings: dict,
    checkpoints: StrPath,
    weights_cache: StrPath,
    weights: StrPath,
    summary: StrPath,
    metrics: StrPath,
    training_set: StrPath | None = None,
    objects: Sequence[StrPath] = (),
    preprocess_summary: StrPath | None = None,
    threads: int | None = None,
) -> dict:
    """Stage 1, from the config section ``astromer`` (``settings``): on the sky's preprocessed
    shards (``objects``, read one at a time; ``preprocess_summary`` counts them) when
    ``pretrain_data`` is ``sky``, else on the ``training_set``'s train split (validation: its
    val split), on the job's CPU ``threads`` (all when None). Resumes from ``checkpoints``
    after a kill; published initial weights are unpacked in ``weights_cache``. Writes the
    encoder's ``weights``, a ``summary`` (epochs, best loss, the encoder's architecture, the
    data) and the per-epoch ``metrics``."""
    cfg = _settings(settings, training=True, threads=threads)
    from qzo.models.astromer.fitting import pretrain_encoder, sky_sample
    from qzo.models.astromer.train import write_weights

    if cfg.pretrain_data == "sky":
        if preprocess_summary is None:
            raise ValueError("astromer_pretrain on the sky needs the preprocessing summary")
        total = json.loads(Path(preprocess_summary).read_text())["objects_out"]
        table, data = sky_sample(objects, total, cfg)
    elif training_set is not None:
        table, data = pq.read_table(training_set), {"training_set": str(training_set)}
    else:
        raise ValueError("astromer_pretrain on the training set needs training_set")
    encoder, result = pretrain_encoder(table, cfg, checkpoints, weights_cache)
    result = {**result, "data": {"source": cfg.pretrain_data, **data}}
    log.info("stage 1 data: %s", json.dumps(result["data"]))
    write_weights(encoder, weights)
    _copy_log(checkpoints, metrics)
    write_json_atomic(result, summary)
    return result


def astromer_finetune(
    *,
    training_set: StrPath,
    encoder_weights: StrPath,
    encoder_summary: StrPath,
    settings: dict,
    checkpoints: StrPath,
    model_config: StrPath,
    model_weights: StrPath,
    predictions: StrPath,
    metrics: StrPath,
    summary: StrPath,
    threads: int | None = None,
) -> dict:
    """Stage 2: the classifier on the train split, early stopping on the val split, from the
    pretrained encoder, on the job's CPU ``threads`` (all when None). Writes the classifier
    (``model_config``, ``model_weights``), its probabilities for every training-set row
    (in-sample on the train split: used only to measure what in-sample stacking would report),
    the per-epoch ``metrics`` and a ``summary`` with the test accuracy."""
    cfg = _settings(settings, training=True, threads=threads)
    from qzo.models.astromer.fitting import (
        class_probabilities,
        finetune_classifier,
        split_mask,
    )
    from qzo.models.astromer.infer import save_classifier

    table = pq.read_table(training_set)
    model, result = finetune_classifier(
        table,
        split_mask(table, "train"),
        encoder_weights,
        encoder_summary,
        cfg,
        checkpoints,
    )
    save_classifier(model, model_config, model_weights)
    probs = class_probabilities(model, table)
    test = split_mask(table, "test")
    if test.any():
        truth = table.column("label").to_numpy()[test]
        predicted = probs.filter(like="p_lc_").to_numpy()[test].argmax(1)
        result["test_accuracy"] = float((predicted == truth).mean())
    write_parquet_atomic(probs, predictions)
    _copy_log(checkpoints, metrics)
    write_json_atomic(result, summary)
    return result


def astromer_finetune_fold(
    *,
    fold: int | str,
    training_set: StrPath,
    encoder_weights: StrPath,
    encoder_summary: StrPath,
    settings: dict,
    checkpoints: StrPath,
    predictions: StrPath,
    metrics: StrPath,
    summary: StrPath,
    threads: int | None = None,
) -> dict:
    """Cross-fitting: stage 2 on the train split without fold ``fold``, on the job's CPU
    ``threads`` (all when None); writes the probabilities of that fold's rows (out of sample),
    the per-epoch ``metrics`` and a ``summary``."""
    cfg = _settings(settings, training=True, threads=threads)
    from qzo.models.astromer.fitting import (
        class_probabilities,
        finetune_classifier,
        rows,
        split_mask,
    )

    fold = int(fold)
    table = pq.read_table(training_set)
    folds = table.column("fold").to_numpy()
    if not (folds == fold).any():
        raise ValueError(f"{training_set}: stacking fold {fold} holds no light curve")
    model, result = finetune_classifier(
        table,
        split_mask(table, "train") & (folds != fold),
        encoder_weights,
        encoder_summary,
        cfg,
        checkpoints,
    )
    probs = class_probabilities(model, rows(table, folds == fold))
    write_parquet_atomic(probs, predictions)
    _copy_log(checkpoints, metrics)
    result = {**result, "fold": fold, "rows": len(probs)}
    write_json_atomic(result, summary)
    return result


def astromer_export(
    *,
    model_config: StrPath,
    model_weights: StrPath,
    encoder: StrPath,
    classifier: StrPath,
    record: StrPath,
) -> dict:
    """The fine-tuned classifier and its encoder as ONNX files, checked against Keras
    (:func:`qzo.models.astromer.export.export_model`); ``record`` is ``export.json``. Runs on
    TensorFlow (the converter's input) whatever ``keras_backend`` trained the weights."""
    from qzo.models.astromer.backend import select

    select("tensorflow")
    from qzo.models.astromer.export import EXPORT_FILES, export_model
    from qzo.models.astromer.infer import load_classifier

    directory = Path(record).parent
    given = [Path(p) for p in (encoder, classifier, record)]
    if given != [directory / name for name in EXPORT_FILES]:
        raise ValueError(f"astromer_export writes {EXPORT_FILES} into one directory, not {given}")
    model, classes = load_classifier(model_config, model_weights)
    result = export_model(model, classes, directory)
    log.info("export checked against Keras: %s", json.dumps(result["check_vs_keras"]))
    return result["check_vs_keras"]


def astromer_infer(
    *,
    model_config: StrPath,
    model_weights: StrPath,
    objects: Sequence[StrPath],
    shards: Sequence[str],
    settings: dict,
    predictions: StrPath,
    onnx_classifier: StrPath | None = None,
    threads: int | None = None,
) -> dict:
    """Classify a group of shards (their preprocessed ``objects`` files, in the order of
    ``shards``) on the job's CPU ``threads`` (all when None); one Parquet with a ``shard``
    column, written once.

    The precision (``astromer.precision``) and then the engine (``astromer.backend``: Keras or
    the ONNX export ``onnx_classifier`` under ONNX Runtime) are settled first on the group's
    first light curves (:func:`qzo.models.astromer.infer.choose_precision`,
    :func:`qzo.models.astromer.runtime.choose_backend`) and logged.
    """
    cfg = _settings(settings, training=False, threads=threads)
    from qzo.models.astromer.encoder import takes_errors
    from qzo.models.astromer.infer import choose_precision, classify_shard, read_shard_sequences
    from qzo.models.astromer.runtime import choose_backend

    errors = takes_errors(json.loads(Path(model_config).read_text())["encoder"])
    _, offsets, times, mags, magerr = read_shard_sequences(objects[0], errors)
    n = min(len(offsets) - 1, cfg.precision_check_size)
    sample = (offsets[: n + 1], times, mags)
    keras_model, classes, precision = choose_precision(
        model_config,
        model_weights,
        cfg.precision,
        *sample,
        batch_size=cfg.batch_size,
        errors=magerr,
    )
    log.info("precision: %s", json.dumps(precision, sort_keys=True))
    model, backend = choose_backend(
        cfg.backend, keras_model, onnx_classifier, *sample, cfg.batch_size, magerr, threads=threads
    )
    log.info("backend: %s (Keras on %s)", json.dumps(backend, sort_keys=True), cfg.keras_backend)
    parts = []
    for path, shard in zip(objects, shards, strict=True):
        t = classify_shard(model, classes, path, cfg.batch_size, cfg.embeddings)
        parts.append(t.append_column("shard", pa.array([shard] * t.num_rows, pa.string())))
        log.info("shard %s: %d objects classified", shard, t.num_rows)
    table = pa.concat_tables(parts)
    write_parquet_atomic(table, predictions)
    return {
        "objects": table.num_rows,
        **precision,
        "backend": backend,
        "keras_backend": cfg.keras_backend,
    }


def astromer_predictions(
    *,
    preprocess_summary: StrPath,
    groups: Sequence[StrPath],
    objects: Sequence[StrPath],
    group_sizes: Sequence[int],
    done: StrPath,
) -> dict:
    """Every preprocessed object has exactly one prediction: each group's predicted objectids
    are its shards' preprocessed ones (``objects``, in plan order; ``group_sizes`` shards per
    group), one each, and they add up to the summary's count. One group in memory at a time."""
    expected = json.loads(Path(preprocess_summary).read_text())["objects_out"]
    total = check_one_each(groups, objects, group_sizes)
    if total != expected:
        raise AssertionError(f"{total} predictions, the preprocessing summary says {expected}")
    result = {"objects": total, "groups": len(groups)}
    write_json_atomic(result, done)
    return result
