"""Stage of ``rules/training_set.smk``: the SDSS × ZTF training set (rule ``labels``)."""

from __future__ import annotations

from collections.abc import Sequence

from qzo.io import StrPath
from qzo.io.atomic import write_json_atomic, write_parquet_atomic
from qzo.training.training_set import build_training_set


def labels(
    *,
    shards: Sequence[str],
    sdss: Sequence[StrPath],
    sdss_margin: Sequence[StrPath],
    objects: Sequence[StrPath],
    settings: dict,
    table: StrPath,
    summary: StrPath,
) -> dict:
    """The training set over every shard (SDSS spectra and their margins, preprocessed objects,
    one file each per shard of ``shards``), grouped split and cross-fitting folds included;
    ``settings`` is the config section ``labels``."""
    training_set, result = build_training_set(shards, sdss, sdss_margin, objects, settings)
    write_parquet_atomic(training_set, table)
    write_json_atomic(result, summary)
    return result
