"""Per-field DR light-curve files → a HATS collection in IRSA's layout (the simulator's
``format: hats`` and the test fixture built from real DR5 files).

The partitions are the shards the pipeline would plan for the same files (config section
``partition``), so a sky given either way is processed shard for shard alike. The margin
cache holds every row within ``margin_arcsec`` of a partition (and some a little farther: the
neighbour-cell rule of :func:`qzo.sky.healpix.margin_targets`).

``python -m qzo.sky.hats_convert OUT FILE... --max-rows N --margin-arcsec S`` converts files.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import pyarrow as pa

from qzo.config.settings import PartitionSettings
from qzo.io import StrPath
from qzo.io.hats_lightcurves import to_irsa_table
from qzo.io.hats_write import write_hats_collection
from qzo.io.ztf_files import read_lightcurve_file
from qzo.sky.healpix import HEALPIX_29, healpix_29, histogram, plan_shards


def files_to_hats(
    files: Sequence[StrPath],
    out_dir: StrPath,
    settings: PartitionSettings,
    margin_arcsec: float,
) -> dict[str, int]:
    """Write the light curves of ``files`` (validated on reading) as a HATS collection in
    ``out_dir``, in IRSA's columns; return its row counts (catalog, margin cache) and
    partitions."""
    table = pa.concat_tables([read_lightcurve_file(f) for f in files])
    hp29 = healpix_29(table.column("objra").to_numpy(), table.column("objdec").to_numpy())
    irsa = to_irsa_table(table.append_column(HEALPIX_29, pa.array(hp29)))
    return table_to_hats(
        irsa, out_dir, "ztf_lc", "objra", "objdec", settings, margin_arcsec, "objectid"
    )


def table_to_hats(
    table: pa.Table,
    out_dir: StrPath,
    name: str,
    ra: str,
    dec: str,
    settings: PartitionSettings,
    margin_arcsec: float,
    id_column: str | None = None,
) -> dict[str, int]:
    """Write a catalog table (positions ``ra``, ``dec``; its ``_healpix_29`` computed unless it
    has one) as a HATS collection in ``out_dir``, partitioned by row count as ``settings``
    shards the per-field files (``qzo.sky.healpix.plan_shards``; as ``hats-import`` partitions
    Gaia, PS1 or AllWISE), rows sorted by ``_healpix_29`` then ``id_column``, with a margin
    cache of ``margin_arcsec``."""
    if HEALPIX_29 in table.column_names:
        hp29 = table.column(HEALPIX_29).to_numpy()
    else:
        hp29 = healpix_29(table.column(ra).to_numpy(), table.column(dec).to_numpy())
        table = table.append_column(HEALPIX_29, pa.array(hp29))
    shards = plan_shards(
        histogram(hp29, settings.highest_order), settings.max_rows_per_shard, settings.lowest_order
    )
    counts = write_hats_collection(table, out_dir, shards, name, ra, dec, margin_arcsec, id_column)
    return {**counts, "partitions": len(shards)}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("files", nargs="+")
    parser.add_argument("--max-rows", type=int, default=1_000_000)
    parser.add_argument("--highest-order", type=int, default=10)
    parser.add_argument("--margin-arcsec", type=float, default=10.0)
    args = parser.parse_args(argv)
    settings = PartitionSettings(
        max_rows_per_shard=args.max_rows,
        highest_order=args.highest_order,
        lowest_order=0,
        margin_arcsec=args.margin_arcsec,
        files_per_batch=64,
    )
    print(files_to_hats(sorted(args.files), args.out_dir, settings, args.margin_arcsec))


if __name__ == "__main__":
    main()
