"""Stages of ``rules/shard.smk``: one shard from its pieces to its feature table, and the sum
of every shard's accounting."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from qzo.config.settings import PreprocessSettings
from qzo.io import StrPath
from qzo.io.atomic import write_json_atomic, write_parquet_atomic
from qzo.io.catalog_files import catalog_column_kinds, catalog_columns, read_catalog_shard
from qzo.io.ztf_files import read_shard_lightcurves
from qzo.lightcurves.crossmatch import ZTF_COLUMNS, shard_features
from qzo.lightcurves.dedup import flag_duplicates
from qzo.lightcurves.features import light_curve_features
from qzo.lightcurves.preprocess import check_accounting, objects_table, preprocess, sum_accounting
from qzo.sky.catalog_shards import partitioned_catalog_rows
from qzo.sky.hats_shards import read_hats_shard
from qzo.sky.healpix import HEALPIX_29
from qzo.sky.partition import load_plan, reduce_planned_shard

log = logging.getLogger(__name__)

#: What a shard job read, and the rows of it that are not its objects (other band, outside
#: ``inputs.region``): the accounting's ``input`` group.
INPUT_COUNTS = ("rows_read", "rows_other_band", "rows_outside_region")


def shard(
    *,
    shard: str,
    plan: StrPath,
    band: str,
    catalog_shards: Mapping[str, Sequence[StrPath]],
    catalog_specs: Mapping[str, Mapping],
    preprocessing: dict,
    dedup_radius_arcsec: float,
    crossmatch: dict,
    lightcurves: StrPath,
    lightcurves_margin: StrPath,
    objects: StrPath,
    objects_margin: StrPath,
    dedup: StrPath,
    features: StrPath,
    accounting: StrPath,
    batches: Sequence[StrPath] = (),
    partitions: Sequence[StrPath] = (),
) -> dict:
    """Everything one shard needs, in one job: reduce → preprocess → dedup → crossmatch →
    shallow light-curve features.

    Reads the plan, the shard's pieces in ``batches`` (per-field input) or its ``partitions``
    (a HATS input: the catalog's partition and margin-cache partition, named by the plan; rows
    of another ``band`` than the configured one are counted and left out) and, for each
    external catalog, its shard and margin files (``catalog_shards``; ``catalog_specs`` are
    the catalogs' config). Writes the
    shard's light curves and margin (HATS), its preprocessed objects (and the margin's, for
    dedup across the border), duplicate flags, feature table (with the shallow light-curve
    features), and last its ``accounting``.
    """
    content = load_plan(plan)
    if content.get("input") == "hats":
        counts = read_hats_shard(content, shard, band, lightcurves, lightcurves_margin)
    else:
        counts = reduce_planned_shard(content, shard, batches, lightcurves, lightcurves_margin)
        counts.update(rows_read=counts["main_rows"], rows_other_band=0, rows_outside_region=0)

    settings = PreprocessSettings.from_config(preprocessing)
    result = preprocess(read_shard_lightcurves(lightcurves), settings)
    check_accounting(result.accounting)
    table = objects_table(result)
    write_parquet_atomic(table, objects)
    margin = preprocess(read_shard_lightcurves(lightcurves_margin), settings).objects
    write_parquet_atomic(margin[["objectid", "ra", "dec", "n_obs"]], objects_margin)

    flags = flag_duplicates(
        result.objects[["objectid", "ra", "dec", "n_obs"]],
        margin[["objectid", "ra", "dec", "n_obs"]],
        dedup_radius_arcsec,
    )
    write_parquet_atomic(flags, dedup)

    acc = result.accounting
    acc["input"] = {k: counts[k] for k in INPUT_COUNTS}
    if acc["objects_in"] != counts["rows_read"] - sum(counts[k] for k in INPUT_COUNTS[1:]):
        raise AssertionError(f"shard {shard}: {acc['objects_in']} objects in, read {counts}")
    acc["duplicates_flagged"] = int(flags["is_duplicate"].sum())
    feature_table, acc["crossmatch"] = _features(
        result.objects, flags, catalog_shards, catalog_specs, crossmatch, content, shard
    )
    shallow = light_curve_features(result.offsets, result.mjd, result.mag, result.magerr)
    feature_table = pd.concat([feature_table, shallow], axis=1)
    feature_table[HEALPIX_29] = table.column(HEALPIX_29).to_numpy()
    write_parquet_atomic(feature_table, features)
    write_json_atomic(acc, accounting)
    log.info(
        "shard %s: %d rows (+%d margin), %d kept, %d flagged duplicate",
        shard,
        counts["main_rows"],
        counts["margin_rows"],
        acc["objects_out"],
        acc["duplicates_flagged"],
    )
    return acc


def _features(
    objects: pd.DataFrame,
    flags: pd.DataFrame,
    catalog_shards: Mapping[str, Sequence[StrPath] | Mapping[str, str]],
    specs: Mapping[str, Mapping],
    settings: dict,
    plan: dict,
    shard: str,
) -> tuple[pd.DataFrame, dict]:
    """The shard's feature table (ZTF scalars, duplicate flag, AllWISE/PS1/Gaia counterparts)
    and its match counts. A catalog's rows come from its shard and margin files, or, for one
    read where it lies (``{"partitioned": path}``), from its partitions around the shard."""
    catalogs = {}
    for name, source in sorted(catalog_shards.items()):  # feature columns in a fixed order
        ra, dec = specs[name]["ra"], specs[name]["dec"]
        if isinstance(source, Mapping):
            rows, _ = partitioned_catalog_rows(
                source["partitioned"], ra, dec, catalog_column_kinds(name), plan, shard
            )
        else:
            rows = read_catalog_shard(source, [ra, dec, *catalog_columns(name)])
        catalogs[name] = (rows, ra, dec)
    return shard_features(
        objects[ZTF_COLUMNS],
        flags,
        catalogs,
        settings["radius_arcsec"],
        settings["wise_upper_limits"],
    )


def preprocess_summary(
    *,
    accounting: Sequence[StrPath],
    summary: StrPath,
    inventory: StrPath | None = None,
    plan: StrPath | None = None,
) -> dict:
    """The sum of every shard's accounting; every input object and epoch (the ``inventory``'s)
    must be accounted for, or with a HATS input every row of the catalog (the ``plan``'s, from
    its metadata), and every kept object must have a feature row."""
    accounts = []
    for path in accounting:
        acc = json.loads(Path(path).read_text())
        if acc["crossmatch"]["objects"] != acc["objects_out"]:
            raise AssertionError(f"{path}: the feature table does not hold every object")
        accounts.append(acc)
    total = sum_accounting(accounts)
    if inventory is not None:
        table = pd.read_parquet(inventory)
        expected = int(table["n_objects"].sum()), int(table["n_epochs"].sum())
        if (total["objects_in"], total["epochs_in"]) != expected:
            raise AssertionError(
                f"shards hold {total['objects_in']} objects / {total['epochs_in']} "
                f"epochs, the inputs {expected[0]} / {expected[1]}"
            )
    elif plan is not None:
        rows = load_plan(plan)["n_rows"]
        if rows is not None and total["input"]["rows_read"] != rows:
            raise AssertionError(
                f"shards read {total['input']['rows_read']} rows, the HATS catalog holds {rows}"
            )
    else:
        raise TypeError("preprocess_summary needs the inventory or the plan")
    total["n_shards"] = len(accounting)
    write_json_atomic(total, summary)
    return total
