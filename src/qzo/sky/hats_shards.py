"""A shard of a HATS light-curve input: its rows from the catalog's partition, its margin from
the catalog's margin cache (or, without one wide enough, from the neighbouring partitions).

The shard and margin files it writes are those the per-field input's partition writes, so
everything downstream is the same whichever input the sky came from.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from qzo.arrays.unique import sorted_unique
from qzo.errors import InputDataError
from qzo.io import StrPath
from qzo.io.hats_input import (
    HEALPIX_29,
    hats_input_plan,
    margin_cache_file,
    partition_path,
    pixel_range,
    uses_margin_cache,
)
from qzo.io.hats_lightcurves import check_hats_schema, count_rows, read_hats_lightcurves
from qzo.sky.healpix import MAX_ORDER, ShardSet, margin_targets, sort_by_position
from qzo.sky.partition import shards_of_plan, write_shard_file
from qzo.sky.region import in_region

log = logging.getLogger(__name__)


def checked_hats_plan(catalog: str, settings: dict, region: dict | None = None) -> dict:
    """:func:`qzo.io.hats_input.hats_input_plan`, checked against what ``hats`` reads: the same
    partitions, and every light-curve column in the catalog's schema."""
    import hats

    result = hats_input_plan(catalog, settings, region)
    opened = hats.read_hats(result["catalog"])
    if not isinstance(opened, hats.catalog.Catalog):
        raise InputDataError(result["catalog"], f"hats reads a {type(opened).__name__} here")
    pixels = sorted((p.order, p.pixel) for p in opened.get_healpix_pixels())
    if pixels != [tuple(p) for p in result["partitions"]]:
        raise InputDataError(
            Path(result["catalog"]) / "partition_info.csv",
            f"hats reads {len(pixels)} partitions, the file lists {len(result['partitions'])}",
        )
    schema = opened.schema
    if schema is not None:
        check_hats_schema(Path(result["catalog"]) / "dataset" / "_common_metadata", schema)
    log.info(
        "HATS catalog %s: %d partitions → %d shards (orders %s), %s rows; margin %s (%s″)",
        result["catalog"],
        len(result["partitions"]),
        len(result["shards"]),
        sorted({int(s.split("/")[0].split("=")[1]) for s in result["shards"]}),
        result["n_rows"],
        result["margin_catalog"],
        result["margin_threshold_arcsec"],
    )
    return result


def _margin_of(
    candidates: pa.Table, shards: ShardSet, index: int, margin_arcsec: float
) -> pa.Table:
    """The rows of ``candidates`` (none of them the shard's own) that belong in shard
    ``index``'s margin, by the rule the per-field partition uses."""
    if candidates.num_rows == 0:
        return candidates
    hp29 = candidates.column(HEALPIX_29).to_numpy()
    rows, targets = margin_targets(hp29, shards.lookup(hp29), shards, margin_arcsec)
    return sort_by_position(candidates.take(pa.array(sorted_unique(rows[targets == index]))))


def bordering_partitions(
    order: int, npix: int, partitions: list[tuple[int, int]]
) -> set[tuple[int, int]]:
    """The ``partitions`` (order, pixel) that border pixel (order, npix) from outside, found with
    ``hats``' pixel arithmetic at an order finer than every partition and the pixel."""
    from hats.pixel_math import get_margin

    cover = ShardSet.from_frame(_frame([p[0] for p in partitions], [p[1] for p in partitions]))
    fine = max(int(cover.order.max()), order) + 1
    border = np.asarray(get_margin(order, npix, fine - order), dtype=np.int64)
    found = cover.lookup(border << 2 * (MAX_ORDER - fine))
    return {(int(cover.order[i]), int(cover.npix[i])) for i in np.unique(found[found >= 0])}


def neighbour_partitions(plan: dict, index: int) -> list[tuple[int, int]]:
    """The input partitions bordering shard ``index`` of ``plan`` (other than its own)."""
    shards = shards_of_plan(plan)
    order, npix = int(shards.order[index]), int(shards.npix[index])
    pixels = bordering_partitions(order, npix, [tuple(p) for p in plan["partitions"]])
    return sorted(pixels - {tuple(plan["sources"][index]["partition_pixel"])})


def _frame(orders: list[int], pixels: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"Norder": orders, "Npix": pixels})


def read_hats_shard(
    plan: dict,
    shard: str,
    band: str,
    lightcurves: StrPath,
    lightcurves_margin: StrPath,
) -> dict:
    """Write shard ``shard`` of a HATS ``plan`` and its margin (``partition.margin_arcsec`` of
    the plan's settings); return the rows read, of another band, in the shard and its margin."""
    index = plan["shards"].index(shard)
    shards = shards_of_plan(plan)
    source = plan["sources"][index]
    settings = plan["settings"]
    margin_arcsec = float(settings["margin_arcsec"])
    catalog = Path(plan["catalog"])
    partition = catalog / source["partition"]
    table, counts = read_hats_lightcurves(partition, band)  # the whole partition, once
    hp29 = table.column(HEALPIX_29).to_numpy()
    start, stop = pixel_range(*source["partition_pixel"])
    outside = (hp29 < start) | (hp29 >= stop)
    if outside.any():
        raise InputDataError(
            partition,
            f"{int(outside.sum())} rows lie outside the partition's pixel "
            f"(objectid {table.column('objectid').to_numpy()[outside][0]})",
            column=HEALPIX_29,
        )
    expected = plan["shard_rows"][index]
    if expected is not None and counts["rows_read"] != expected:
        raise InputDataError(
            partition, f"holds {counts['rows_read']} rows, the catalog's metadata says {expected}"
        )
    candidates = []
    if source["hp29_range"] is not None:  # a child of a partition cut by _healpix_29 range
        start, stop = source["hp29_range"]
        inside = (hp29 >= start) & (hp29 < stop)
        candidates.append(table.filter(pa.array(~inside)))  # its siblings: margin candidates
        table = table.filter(pa.array(inside))
        counts = count_rows(partition, band, source["hp29_range"])
    counts["rows_outside_region"] = 0
    outside_region = table.schema.empty_table()
    if plan.get("region") is not None:
        inside = in_region(
            table.column("objra").to_numpy(),
            table.column("objdec").to_numpy(),
            table.column(HEALPIX_29).to_numpy(),
            plan["region"],
        )
        counts["rows_outside_region"] = int((~inside).sum())
        # Kept in the margin: duplicate flags at the region's edge are a full-sky run's.
        outside_region = table.filter(pa.array(~inside))
        table = table.filter(pa.array(inside))
    if uses_margin_cache(plan):
        cached = margin_cache_file(plan, index)
        if cached is not None:
            candidates.append(read_hats_lightcurves(cached, band)[0])
        margin_source = f"margin cache {plan['margin_catalog']}"
    else:
        neighbours = neighbour_partitions(plan, index)
        for order, npix in neighbours:
            candidates.append(read_hats_lightcurves(partition_path(catalog, order, npix), band)[0])
        margin_source = f"{len(neighbours)} neighbouring partitions"
    schema = table.schema
    margin = _margin_of(
        pa.concat_tables([c.select(schema.names).cast(schema) for c in candidates])
        if candidates
        else schema.empty_table(),
        shards,
        index,
        margin_arcsec,
    )
    if outside_region.num_rows:
        margin = sort_by_position(pa.concat_tables([margin, outside_region]))
    write_shard_file(table, lightcurves)
    write_shard_file(margin, lightcurves_margin)
    log.info("shard %s: margin of %d rows from the %s", shard, margin.num_rows, margin_source)
    return {**counts, "main_rows": table.num_rows, "margin_rows": margin.num_rows}
