"""Entry points of the training-set and Astromer rules (labels, pretrain, finetune, infer)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .io import write_json_atomic, write_parquet_atomic
from .labels import (
    SDSS_CLASSES,
    clean_specobj,
    grouped_split,
    match_longest,
    resolve_matches,
    stacking_folds,
)

log = logging.getLogger(__name__)

_SEQ_COLUMNS = ["objectid", "ra", "dec", "n_obs", "mag_median", "mjd", "mag"]


def run_labels(
    sdss_dir, shards: list[str], preprocessed: list[str], settings: dict, out_path, summary_path
) -> dict:
    """SDSS × ZTF training set over every shard; the light curves come along (≤ 200 nights)."""
    sdss_dir = Path(sdss_dir)
    main = [sdss_dir / "sdss" / "dataset" / f"{s}.parquet" for s in shards]
    margin = [sdss_dir / "sdss_margin" / "dataset" / f"{s}.parquet" for s in shards]
    per_shard = [pd.read_parquet(p) for p in main]
    all_sdss = pd.concat(per_shard, ignore_index=True)
    clean, drops = clean_specobj(all_sdss)
    matches = []
    for shard, shard_sdss, g_path, z_path in zip(
        shards, per_shard, margin, preprocessed, strict=True
    ):
        # The shard's spectra and its margin's (read once above; the margin for its ids only).
        ids = np.concatenate(
            [
                shard_sdss["SPECOBJID"].to_numpy(),
                pd.read_parquet(g_path, columns=["SPECOBJID"])["SPECOBJID"],
            ]
        )
        sdss = clean[clean["SPECOBJID"].isin(ids)]
        ztf = pd.read_parquet(z_path, columns=["objectid", "ra", "dec", "n_obs"])
        if len(sdss) and len(ztf):
            found = match_longest(sdss, ztf, settings["radius_arcsec"])
            matches.append(found.assign(shard=shard, path=str(z_path)))
    matched = resolve_matches(pd.concat(matches, ignore_index=True)) if matches else None
    if matched is None or matched.empty:
        raise ValueError("no SDSS spectrum matches a preprocessed ZTF light curve")
    rows = []
    for path, group in matched.groupby("path"):
        table = pq.read_table(path, columns=_SEQ_COLUMNS)
        ids = table.column("objectid").to_numpy()
        take = np.flatnonzero(np.isin(ids, group["objectid"].to_numpy()))
        rows.append(table.take(pa.array(take)))
    seqs = pa.concat_tables(rows)
    info = matched.set_index("objectid").loc[seqs.column("objectid").to_numpy()]
    labels = info["CLASS"].map(SDSS_CLASSES).to_numpy()
    split = grouped_split(
        seqs.column("ra").to_numpy(),
        seqs.column("dec").to_numpy(),
        labels,
        settings["split_fractions"],
        settings["group_radius_arcsec"],
        settings["seed"],
    )
    fold = stacking_folds(
        seqs.column("ra").to_numpy(),
        seqs.column("dec").to_numpy(),
        labels,
        split,
        settings["stacking_folds"],
        settings["group_radius_arcsec"],
        settings["seed"],
    )
    out = seqs.append_column("specobjid", pa.array(info["SPECOBJID"].to_numpy()))
    out = out.append_column("class", pa.array(info["CLASS"].to_numpy().astype(str)))
    out = out.append_column("label", pa.array(labels.astype(np.int8)))
    out = out.append_column("z", pa.array(info["Z"].to_numpy().astype(np.float64)))
    out = out.append_column("split", pa.array(split))
    out = out.append_column("fold", pa.array(fold.astype(np.int8)))
    out = out.append_column("shard", pa.array(info["shard"].to_numpy().astype(str)))
    order = np.argsort(out.column("objectid").to_numpy(), kind="stable")
    out = out.take(pa.array(order))
    write_parquet_atomic(out, out_path)
    frame = out.select(["class", "split"]).to_pandas()
    summary = {
        "sdss_rows": len(all_sdss),
        "sdss_dropped": drops,
        "sdss_clean": len(clean),
        "matched": out.num_rows,
        "unmatched": len(clean) - out.num_rows,
        "by_split_and_class": {
            s: g["class"].value_counts().to_dict() for s, g in frame.groupby("split")
        },
    }
    write_json_atomic(summary, summary_path)
    return summary


def _windows(table: pa.Table, window: int):
    from .astromer.infer import table_sequences
    from .astromer.windows import make_windows

    return make_windows(*table_sequences(table), window, single=True)


def _rows(table: pa.Table, mask) -> pa.Table:
    return table.filter(pa.array(np.asarray(mask, dtype=bool)))


def _split_mask(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table.column("split").to_numpy(zero_copy_only=False) == name)


def _split(path, name: str) -> pa.Table:
    table = pq.read_table(path)
    return _rows(table, _split_mask(table, name))


def _encoder(cfg: dict, cache_dir):
    from .astromer.encoder import AstromerEncoder
    from .astromer.weights import load_pretrained_encoder, resolve_weights

    if cfg["init_weights"]:
        weights = resolve_weights(cfg["init_weights"], cache_dir, cfg["init_weights_sha256"])
        return load_pretrained_encoder(weights, cfg["window"])
    arch = {k: cfg[k] for k in ("num_layers", "d_model", "num_heads", "dff", "dropout", "window")}
    return AstromerEncoder(**arch).build_for_window()


def run_pretrain(training_set, cfg: dict, out_weights, out_dir) -> dict:
    """Stage 1 on the train split (validation: the val split); writes the encoder's weights."""
    from .astromer.train import StageSettings, pretrain, seed_training

    out_dir = Path(out_dir)
    settings = StageSettings(**cfg["pretrain"])
    seed_training(settings.seed)
    encoder = _encoder(cfg, out_dir / "cache")
    train = _windows(_split(training_set, "train"), encoder.config_["window"])
    val = _windows(_split(training_set, "val"), encoder.config_["window"])
    summary = pretrain(
        encoder,
        train,
        val,
        settings,
        out_dir / "checkpoints",
        out_dir / "metrics.csv",
    )
    tmp = Path(str(out_weights) + ".tmp.weights.h5")
    encoder.save_weights(tmp)
    tmp.rename(out_weights)
    write_json_atomic({**summary, "encoder": encoder.config_}, out_dir / "summary.json")
    return summary


def _probabilities(model, table: pa.Table, classes) -> pd.DataFrame:
    """``objectid`` and ``p_lc_<class>`` for the light curves of ``table``."""
    from .astromer.infer import classify_table

    return classify_table(model, classes, table).to_pandas()


def _finetune(table: pa.Table, train_mask, encoder_weights, cfg: dict, out_dir):
    """Stage 2 on the rows of ``train_mask``, early stopping on the val split."""
    from .astromer.encoder import AstromerEncoder
    from .astromer.infer import CLASS_NAMES, save_classifier
    from .astromer.train import Classifier, StageSettings, finetune, seed_training

    out_dir = Path(out_dir)
    settings = StageSettings(**cfg["finetune"])
    seed_training(settings.seed)
    meta = json.loads((Path(encoder_weights).parent / "summary.json").read_text())["encoder"]
    encoder = AstromerEncoder(**meta).build_for_window()
    encoder.load_weights(encoder_weights)
    parts = {"train": _rows(table, train_mask), "val": _rows(table, _split_mask(table, "val"))}
    wins = {s: _windows(t, meta["window"]) for s, t in parts.items()}
    labels = {s: t.column("label").to_numpy().astype(np.int64) for s, t in parts.items()}
    model = Classifier(encoder, n_classes=len(CLASS_NAMES))
    summary = finetune(
        model,
        wins["train"],
        labels["train"],
        wins["val"],
        labels["val"],
        settings,
        out_dir / "checkpoints",
        out_dir / "metrics.csv",
    )
    save_classifier(model, out_dir / "model")
    return model, summary, CLASS_NAMES


def run_finetune(training_set, encoder_weights, cfg: dict, out_dir, predictions_path) -> dict:
    """Stage 2: the classifier on the train split, early stopping on the val split. Its
    probabilities for every training-set row are written too (in-sample on the train split:
    used only to measure what in-sample stacking would report); the test accuracy is logged."""
    table = pq.read_table(training_set)
    model, summary, classes = _finetune(
        table, _split_mask(table, "train"), encoder_weights, cfg, out_dir
    )
    probs = _probabilities(model, table, classes)
    test = _split_mask(table, "test")
    if test.any():
        truth = table.column("label").to_numpy()[test]
        predicted = probs.filter(like="p_lc_").to_numpy()[test].argmax(1)
        summary["test_accuracy"] = float((predicted == truth).mean())
    write_parquet_atomic(probs, predictions_path)
    write_json_atomic(summary, Path(out_dir) / "summary.json")
    return summary


def run_finetune_fold(training_set, encoder_weights, fold: int, cfg: dict, out_dir, out_path):
    """Cross-fitting: stage 2 on the train split without fold ``fold``; the probabilities of
    that fold's rows (out of sample) are written."""
    table = pq.read_table(training_set)
    folds = table.column("fold").to_numpy()
    if not (folds == fold).any():
        raise ValueError(f"{training_set}: stacking fold {fold} holds no light curve")
    train = _split_mask(table, "train") & (folds != fold)
    model, summary, classes = _finetune(table, train, encoder_weights, cfg, out_dir)
    probs = _probabilities(model, _rows(table, folds == fold), classes)
    write_parquet_atomic(probs, out_path)
    write_json_atomic({**summary, "fold": fold, "rows": len(probs)}, Path(out_dir) / "summary.json")
    return summary


def run_infer(model_dir, preprocessed: list[str], shards: list[str], cfg: dict, out_path) -> dict:
    """Classify a group of shards; one Parquet with a ``shard`` column, written once.

    The precision (``astromer.precision``) is settled first on the group's first light curves
    (:func:`qzo.astromer.infer.choose_precision`) and logged.
    """
    from .astromer.infer import choose_precision, classify_shard, read_shard_sequences

    _, offsets, times, mags = read_shard_sequences(preprocessed[0])
    n = min(len(offsets) - 1, cfg["precision_check_size"])
    model, classes, precision = choose_precision(
        model_dir, cfg["precision"], offsets[: n + 1], times, mags, batch_size=cfg["batch_size"]
    )
    log.info("precision: %s", json.dumps(precision, sort_keys=True))
    parts = []
    for path, shard in zip(preprocessed, shards, strict=True):
        t = classify_shard(model, classes, path, cfg["batch_size"], cfg["embeddings"])
        parts.append(t.append_column("shard", pa.array([shard] * t.num_rows, pa.string())))
        log.info("shard %s: %d objects classified", shard, t.num_rows)
    table = pa.concat_tables(parts)
    write_parquet_atomic(table, out_path)
    return {"objects": table.num_rows, **precision}


def run_predictions_check(preprocess_summary, group_paths, out_path) -> dict:
    """Every preprocessed object has exactly one prediction; fail loudly otherwise."""
    expected = json.loads(Path(preprocess_summary).read_text())["objects_out"]
    ids = np.concatenate(
        [pq.read_table(p, columns=["objectid"]).column(0).to_numpy() for p in group_paths]
    )
    if len(ids) != expected or len(np.unique(ids)) != len(ids):
        raise AssertionError(
            f"{len(ids)} predictions ({len(np.unique(ids))} distinct) for "
            f"{expected} preprocessed objects"
        )
    result = {"objects": len(ids), "groups": len(group_paths)}
    write_json_atomic(result, out_path)
    return result
