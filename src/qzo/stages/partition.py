"""Stages of ``rules/partition.smk``: the shard plan, the split of file batches into per-shard
pieces, the light-curve catalog's HATS metadata, and each external catalog on the same shards."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from qzo.config.settings import PartitionSettings
from qzo.errors import ConfigError, InputDataError
from qzo.io import StrPath
from qzo.io.atomic import write_json_atomic
from qzo.io.catalog_files import catalog_column_kinds
from qzo.io.hats_metadata import write_hats_metadata
from qzo.sky.catalog_shards import catalog_summary
from qzo.sky.hats_shards import checked_hats_plan
from qzo.sky.partition import (
    BATCH_COUNTS,
    load_plan,
    partition_catalog_files,
    plan_partition,
    shards_of_plan,
    split_batch,
)

log = logging.getLogger(__name__)

#: The HATS name of the light-curve catalog (its margin is ``ztf_lc_margin``).
ZTF_CATALOG = "ztf_lc"


def partition_plan(
    *,
    settings: dict,
    plan: StrPath,
    inventory: StrPath | None = None,
    hats_catalog: str | None = None,
    catalog_metadata: Sequence[StrPath] = (),
    region: dict | None = None,
    workers: int = 1,
) -> dict:
    """The shard plan (config section ``partition`` as ``settings``), written to ``plan``:
    from the validated ``inventory`` of per-field files (shards balanced by row count, files in
    batches), or from the metadata of the HATS catalog ``hats_catalog`` (its partitions, large
    ones cut, only those overlapping ``region`` if given; ``catalog_metadata`` are the metadata
    files it reads)."""
    if hats_catalog is not None:
        result = checked_hats_plan(hats_catalog, settings, region)
    elif region is not None:
        raise ConfigError("config key 'inputs.region': needs a HATS input (inputs.ztf_lightcurves)")
    elif inventory is not None:
        result = _files_plan(inventory, settings, workers)
    else:
        raise TypeError("partition_plan needs an inventory or a HATS catalog")
    write_json_atomic(result, plan)
    return result


def _files_plan(inventory: StrPath, settings: dict, workers: int) -> dict:
    table = pd.read_parquet(inventory)
    files = table.loc[table["n_objects"] > 0, "path"].tolist()
    if not files:
        raise InputDataError(
            inventory,
            f"all {len(table)} input light-curve files are empty: there is no sky to partition",
            column="n_objects",
        )
    shards, result = plan_partition(files, PartitionSettings.from_config(settings), workers)
    if result["n_rows"] != int(table["n_objects"].sum()):
        raise AssertionError(
            f"plan holds {result['n_rows']} rows, inventory {table['n_objects'].sum()}"
        )
    log.info(
        "%d rows in %d shards (orders %s), %d batches",
        result["n_rows"],
        len(shards),
        sorted(set(shards.order.tolist())),
        len(result["batches"]),
    )
    return result


def partition_split(*, plan: StrPath, batch: int | str, pieces: StrPath) -> dict:
    """One batch of the plan's files cut into per-shard pieces (and margin copies) in the
    directory ``pieces``, with what it holds in ``pieces/counts.json``. The folder is built
    under a temporary name and renamed into place complete, so a killed job leaves nothing that
    looks like a batch."""
    content = load_plan(plan)
    out = Path(pieces)
    partial = out.with_name(f".{out.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)  # a killed job's leftovers
    counts = split_batch(
        content["batches"][int(batch)],
        shards_of_plan(content),
        content["settings"]["margin_arcsec"],
        partial,
    )
    write_json_atomic(counts, partial / BATCH_COUNTS)
    shutil.rmtree(out, ignore_errors=True)
    partial.rename(out)
    return counts


def hats_metadata(
    *,
    plan: StrPath,
    shards: Sequence[StrPath],
    catalog_properties: StrPath,
    margin_properties: StrPath,
) -> dict:
    """The HATS metadata of the light-curve catalog and of its margin, each catalog being the
    directory of its ``properties`` file: ``partition_info.csv``, ``dataset/_metadata`` and
    ``dataset/_common_metadata`` beside it, ``properties`` last. ``shards`` are the catalog's
    shard files (written by the shard jobs); the totals must match the plan."""
    content = load_plan(plan)
    shard_set = shards_of_plan(content)
    if len(shards) != len(shard_set):
        raise AssertionError(f"{len(shards)} shard files for the {len(shard_set)} planned shards")
    catalog_dir, margin_dir = Path(catalog_properties).parent, Path(margin_properties).parent
    n = write_hats_metadata(catalog_dir, shard_set, ZTF_CATALOG, "objra", "objdec")
    if n != content["n_rows"]:
        raise AssertionError(f"HATS catalog holds {n} rows, the plan {content['n_rows']}")
    m = write_hats_metadata(
        margin_dir,
        shard_set,
        f"{ZTF_CATALOG}_margin",
        "objra",
        "objdec",
        margin_of=ZTF_CATALOG,
        margin_arcsec=content["settings"]["margin_arcsec"],
    )
    return {"rows": n, "margin_rows": m}


def partition_catalog(
    *,
    catalog: str,
    files: Sequence[StrPath],
    spec: Mapping,
    plan: StrPath,
    margin_arcsec: float,
    partitioned: StrPath,
) -> dict:
    """The external catalog ``catalog`` (its ``files``; ``spec`` is its config entry) on the
    plan's shards: the directory ``partitioned`` gets the HATS catalog ``<catalog>/``, its margin
    ``<catalog>_margin/`` and ``accounting.json`` (rows in, outside every shard, out)."""
    shards = shards_of_plan(load_plan(plan))
    out = Path(partitioned)
    shutil.rmtree(out, ignore_errors=True)
    main, margin = out / catalog, out / f"{catalog}_margin"
    totals = partition_catalog_files(
        files,
        spec["ra"],
        spec["dec"],
        catalog_column_kinds(catalog),
        shards,
        margin_arcsec,
        main,
        margin,
        out / "_pieces",
    )
    totals["rows_out"] = write_hats_metadata(main, shards, catalog, spec["ra"], spec["dec"])
    write_hats_metadata(
        margin,
        shards,
        f"{catalog}_margin",
        spec["ra"],
        spec["dec"],
        margin_of=catalog,
        margin_arcsec=margin_arcsec,
    )
    if totals["rows_out"] != totals["rows_in"] - totals["rows_outside_shards"]:
        raise AssertionError(f"catalog {catalog}: rows do not add up: {totals}")
    write_json_atomic(totals, out / "accounting.json")
    return totals


def catalogs_summary(
    *,
    names: Sequence[str],
    partitioned: Sequence[StrPath],
    summary: StrPath,
    in_place: Mapping[str, str] | None = None,
    in_place_metadata: Sequence[StrPath] = (),
) -> dict:
    """Each re-partitioned catalog's accounting (``<dir>/accounting.json``) and where its
    shards are, and for each catalog read in place (``in_place``: name → path; described by
    ``in_place_metadata``) its partitions and rows, in one file."""
    result = {
        name: {**json.loads((Path(d) / "accounting.json").read_text()), "directory": str(d)}
        for name, d in zip(names, partitioned, strict=True)
    }
    for name, path in (in_place or {}).items():
        result[name] = catalog_summary(path)
    write_json_atomic(result, summary)
    return result
