"""One shard's rows of an external catalog that comes partitioned (HATS, HEALPix hive), read
where it lies: the partitions overlapping the shard, and its margin from the catalog's margin
cache (when at least ``partition.margin_arcsec`` wide) or from the bordering partitions. The
rows are those the re-partitioned catalog's shard and margin files would hold."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from qzo.io import StrPath
from qzo.io.catalog_files import read_catalog_file
from qzo.io.hats_lightcurves import partition_files
from qzo.io.partitioned_catalogs import PartitionedCatalog
from qzo.sky.hats_shards import bordering_partitions
from qzo.sky.healpix import healpix_29, margin_targets
from qzo.sky.partition import shards_of_plan


def partitioned_catalog_rows(
    path: StrPath,
    ra: str,
    dec: str,
    kinds: Mapping[str, str],
    plan: dict,
    shard: str,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The ``ra``, ``dec`` and ``kinds`` columns (validated as every catalog file is) of the
    catalog at ``path`` in shard ``shard`` of ``plan`` and in its margin; and the rows read
    and kept."""
    catalog = PartitionedCatalog.open(path)
    shards = shards_of_plan(plan)
    index = plan["shards"].index(shard)
    order, npix = int(shards.order[index]), int(shards.npix[index])
    margin_arcsec = float(plan["settings"]["margin_arcsec"])
    own = catalog.overlapping(order, npix)
    if catalog.margins and (catalog.margin_arcsec or 0) >= margin_arcsec:
        around = [m for p in own if (m := catalog.margins[(p[0], p[1])]).exists()]
    else:
        pixels = sorted((p[0], p[1]) for p in catalog.partitions)
        border = bordering_partitions(order, npix, pixels) - {(p[0], p[1]) for p in own}
        around = [p[2] for p in catalog.partitions if (p[0], p[1]) in border]
    columns = [ra, dec, *kinds]
    read = 0
    parts = []
    for sources, is_margin in (([p[2] for p in own], False), (around, True)):
        tables = [
            read_catalog_file(f, ra, dec, kinds).select(columns)
            for part in sources
            for f in partition_files(part)
        ]
        if not tables:
            continue
        table = pa.concat_tables([t.cast(tables[0].schema) for t in tables])
        read += table.num_rows
        hp29 = healpix_29(table.column(ra).to_numpy(), table.column(dec).to_numpy())
        owner = shards.lookup(hp29)
        rows, targets = margin_targets(hp29, owner, shards, margin_arcsec)
        keep = np.zeros(table.num_rows, dtype=bool)
        keep[rows[targets == index]] = True  # this shard's margin
        if not is_margin:
            keep[owner == index] = True  # its own rows (a margin cache's are in own partitions)
        frame = table.filter(pa.array(keep)).to_pandas()
        # A margin row near two partitions inside the shard comes from both margin caches.
        parts.append(frame.drop_duplicates() if is_margin else frame)
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in columns}), {"rows_read": 0}
    kept = pd.concat(parts, ignore_index=True)
    return kept, {"rows_read": read, "rows_kept": len(kept)}


def catalog_summary(path: StrPath) -> dict:
    """What the catalogs summary records of a partitioned catalog read in place."""
    catalog = PartitionedCatalog.open(path)
    return {
        "format": catalog.kind,
        "directory": str(path),
        "partitions": len(catalog.partitions),
        "rows_in": catalog.n_rows,
        "margin_arcsec": catalog.margin_arcsec,
    }
