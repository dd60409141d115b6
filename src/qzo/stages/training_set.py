"""Stage of ``rules/training_set.smk``: the SDSS × ZTF training set (rule ``labels``)."""

from __future__ import annotations

from collections.abc import Sequence

from qzo.io import StrPath
from qzo.io.atomic import write_json_atomic, write_parquet_atomic
from qzo.training.training_set import build_training_set, check_redshift_training


def labels(
    *,
    shards: Sequence[str],
    sdss: Sequence[StrPath],
    sdss_margin: Sequence[StrPath],
    objects: Sequence[StrPath],
    features: str,
    settings: dict,
    sdss_catalog: str | Sequence[str],
    allwise_catalog: str | Sequence[str],
    table: StrPath,
    summary: StrPath,
) -> dict:
    """The training set over every shard (SDSS spectra and their margins, preprocessed objects,
    one file each per shard of ``shards``), grouped split and cross-fitting folds included;
    ``settings`` is the config section ``labels``. Before any training job runs, it checks
    that the set can train every model (each class in each split and fold; a QSO with an
    AllWISE counterpart, from the shards' ``features``, in the train and val splits for the
    redshift regressor); a failure names the configured catalog (``sdss_catalog``,
    ``allwise_catalog``)."""
    training_set, result = build_training_set(
        shards, sdss, sdss_margin, objects, settings, sdss_catalog
    )
    check_redshift_training(training_set, features, allwise_catalog)
    write_parquet_atomic(training_set, table)
    write_json_atomic(result, summary)
    return result
