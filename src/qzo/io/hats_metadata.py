"""HATS catalog metadata, written with pyarrow only, so ``hats``/``lsdb`` open our shard sets.

A catalog directory holds ``dataset/Norder=K/Dir=D/Npix=N.parquet`` (written by the shard rules)
plus what :func:`write_hats_metadata` adds: ``properties`` (and its copy ``hats.properties``),
``partition_info.csv``, ``dataset/_common_metadata`` and ``dataset/_metadata``.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from qzo.io import StrPath
from qzo.io.atomic import atomic_path
from qzo.sky.healpix import HEALPIX_29, ShardSet

#: The file inside each partition directory of a catalog written with ``npix_suffix="/"``.
PART_FILE = "part0.snappy.parquet"

METADATA_FILES = (
    "properties",
    "hats.properties",
    "partition_info.csv",
    "dataset/_common_metadata",
    "dataset/_metadata",
)


def write_hats_metadata(
    catalog_dir: StrPath,
    shards: ShardSet,
    name: str,
    ra_column: str,
    dec_column: str,
    margin_of: str | None = None,
    margin_arcsec: float | None = None,
    npix_suffix: str = ".parquet",
) -> int:
    """Write the metadata of a catalog whose shard files all exist; return its row count.

    With ``margin_of`` (the primary catalog's name) and ``margin_arcsec`` it is a margin catalog.
    Every shard file must share one schema, as lsdb requires. ``npix_suffix`` ``"/"`` means each
    partition is a directory holding :data:`PART_FILE` (IRSA's layout); ``partition_info.csv``
    then carries ``Dir`` and ``num_rows`` too, as IRSA's does.
    """
    root = Path(catalog_dir)
    dataset = root / "dataset"
    collector, n_rows, max_rows, schema, rows = [], 0, 0, None, []
    for relpath in shards.names:
        filename = f"{relpath}/{PART_FILE}" if npix_suffix == "/" else f"{relpath}.parquet"
        path = dataset / filename
        meta = pq.read_metadata(path)
        file_schema = meta.schema.to_arrow_schema()
        if schema is None:
            schema = file_schema
        elif not file_schema.equals(schema, check_metadata=False):
            raise ValueError(f"{path}: schema differs from the other shards of {root}")
        meta.set_file_path(filename)
        collector.append(meta)
        rows.append(meta.num_rows)
        n_rows += meta.num_rows
        max_rows = max(max_rows, meta.num_rows)
    if schema is None:
        raise ValueError(f"{root}: a catalog needs at least one shard")
    with atomic_path(dataset / "_common_metadata") as tmp:
        pq.write_metadata(schema, tmp)
    with atomic_path(dataset / "_metadata") as tmp:
        pq.write_metadata(schema, tmp, metadata_collector=collector)
    info = shards.to_frame()
    if npix_suffix == "/":
        info["num_rows"] = rows
    else:
        info = info[["Norder", "Npix"]]
    with atomic_path(root / "partition_info.csv") as tmp:
        info.to_csv(tmp, index=False)
    props: dict[str, object] = {
        "obs_collection": name,
        "dataproduct_type": "margin" if margin_of else "object",
        "hats_nrows": n_rows,
        "hats_col_ra": ra_column,
        "hats_col_dec": dec_column,
        "hats_col_healpix": HEALPIX_29,
        "hats_col_healpix_order": 29,
        "hats_max_rows": max_rows,
        "hats_order": int(shards.order.max()),
        "hats_npix_suffix": npix_suffix,
        "moc_sky_fraction": f"{float(sum(1 / (12 * 4.0**o) for o in shards.order)):.6f}",
        "hats_version": "v1.0",
        "hats_builder": "qzo",
    }
    if margin_of:
        if margin_arcsec is None:
            raise ValueError(f"{root}: a margin catalog needs its margin_arcsec")
        props["hats_primary_table_url"] = margin_of
        props["hats_margin_threshold"] = float(margin_arcsec)
    text = "".join(f"{k}={v}\n" for k, v in props.items())
    for fname in ("hats.properties", "properties"):  # properties last: the catalog is complete
        with atomic_path(root / fname) as tmp:
            tmp.write_text(text)
    return n_rows
