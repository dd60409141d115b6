"""Write a table as a HATS collection in IRSA's layout: a catalog, its margin cache and
``collection.properties`` (the simulator's ``format: hats`` and the test fixtures)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from qzo.io import StrPath
from qzo.io.atomic import atomic_path
from qzo.io.hats_input import COLLECTION_PROPERTIES
from qzo.io.hats_metadata import PART_FILE, write_hats_metadata
from qzo.sky.healpix import HEALPIX_29, ShardSet, margin_targets


def write_hats_collection(
    table: pa.Table,
    directory: StrPath,
    shards: ShardSet,
    name: str,
    ra: str,
    dec: str,
    margin_arcsec: float,
    id_column: str | None = None,
) -> dict[str, int]:
    """Write ``table`` (with its ``_healpix_29``) as a HATS collection under ``directory``: the
    catalog ``<name>/`` on ``shards``, each partition a directory holding
    ``part0.snappy.parquet`` sorted by ``_healpix_29`` (then ``id_column``); its margin cache
    ``<name>_<margin>arcs/`` (rows :func:`qzo.sky.healpix.margin_targets` assigns, a superset
    of those within ``margin_arcsec``); ``collection.properties`` last. Returns the rows of each."""
    root = Path(directory)
    hp29 = table.column(HEALPIX_29).to_numpy()
    own = shards.lookup(hp29)
    if (own < 0).any():
        raise ValueError(f"{int((own < 0).sum())} rows fall outside every shard")
    margin_name = f"{name}_{margin_arcsec:g}arcs"
    ids = table.column(id_column).to_numpy() if id_column else np.arange(table.num_rows)
    rows_of = {
        name: (np.arange(len(own)), own),
        margin_name: margin_targets(hp29, own, shards, margin_arcsec),
    }
    for catalog, (rows, shard_idx) in rows_of.items():
        for i, relpath in enumerate(shards.names):
            take = rows[shard_idx == i]
            take = take[np.lexsort((ids[take], hp29[take]))]
            path = root / catalog / "dataset" / relpath / PART_FILE
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as tmp:
                pq.write_table(table.take(pa.array(take)), tmp, compression="snappy")
    n = write_hats_metadata(root / name, shards, name, ra, dec, npix_suffix="/")
    m = write_hats_metadata(
        root / margin_name,
        shards,
        margin_name,
        ra,
        dec,
        margin_of=name,
        margin_arcsec=margin_arcsec,
        npix_suffix="/",
    )
    text = (
        f"obs_collection={name}\nhats_primary_table_url={name}\n"
        f"all_margins={margin_name}\ndefault_margin={margin_name}\n"
    )
    with atomic_path(root / COLLECTION_PROPERTIES) as tmp:
        tmp.write_text(text)
    return {"rows": n, "margin_rows": m}
