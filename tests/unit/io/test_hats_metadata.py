"""HATS metadata written with pyarrow only: hats and lsdb open the catalogs, counts and
partitions are right, and shard files that disagree are refused."""

from __future__ import annotations

import hats
import lsdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hats.io.validation import is_valid_catalog

from qzo.io.hats_metadata import write_hats_metadata
from qzo.sky.healpix import HEALPIX_29, ShardSet, healpix_29


def write_shards(root, shards: ShardSet, rows_per_shard, schema_of=None):
    """One Parquet file per shard, rows at the centre of the shard's pixel."""
    import healpy as hp

    for k, (order, npix, name) in enumerate(
        zip(shards.order, shards.npix, shards.names, strict=True)
    ):
        n = rows_per_shard[k]
        ra, dec = hp.pix2ang(2**order, npix, nest=True, lonlat=True)
        ras, decs = np.full(n, ra), np.full(n, dec)
        table = pa.table(
            {
                "id": pa.array(np.arange(n, dtype=np.int64) + 100 * k),
                "ra": pa.array(ras),
                "dec": pa.array(decs),
                HEALPIX_29: pa.array(healpix_29(ras, decs)),
            }
        )
        if schema_of is not None and k == schema_of:
            table = table.append_column("extra", pa.array(np.zeros(n)))
        path = root / "dataset" / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)


SHARDS = ShardSet(order=np.array([1, 1, 2]), npix=np.array([4, 5, 24]))


def test_catalog_and_margin_open_in_hats_and_lsdb(tmp_path):
    write_shards(tmp_path / "cat", SHARDS, [3, 0, 5])
    assert write_hats_metadata(tmp_path / "cat", SHARDS, "cat", "ra", "dec") == 8
    catalog = hats.read_hats(tmp_path / "cat")
    assert catalog.catalog_info.total_rows == 8
    assert [(p.order, p.pixel) for p in catalog.get_healpix_pixels()] == [(1, 4), (1, 5), (2, 24)]
    assert is_valid_catalog(tmp_path / "cat", strict=True)
    assert len(lsdb.open_catalog(tmp_path / "cat").compute()) == 8
    props = dict(
        line.split("=", 1) for line in (tmp_path / "cat" / "properties").read_text().splitlines()
    )
    assert props["hats_nrows"] == "8" and props["hats_max_rows"] == "5"
    assert props["hats_order"] == "2" and props["dataproduct_type"] == "object"
    assert (tmp_path / "cat" / "hats.properties").read_text() == (
        tmp_path / "cat" / "properties"
    ).read_text()

    write_shards(tmp_path / "margin", SHARDS, [1, 1, 1])
    write_hats_metadata(
        tmp_path / "margin", SHARDS, "cat_margin", "ra", "dec", margin_of="cat", margin_arcsec=5.0
    )
    margin = hats.read_hats(tmp_path / "margin")
    assert type(margin).__name__ == "MarginCatalog"
    assert margin.catalog_info.margin_threshold == 5.0


def test_shards_with_different_schemas_are_refused(tmp_path):
    write_shards(tmp_path, SHARDS, [2, 2, 2], schema_of=1)
    with pytest.raises(ValueError, match="schema differs"):
        write_hats_metadata(tmp_path, SHARDS, "cat", "ra", "dec")
    assert not (tmp_path / "properties").exists()


def test_a_margin_needs_its_threshold(tmp_path):
    write_shards(tmp_path, SHARDS, [1, 1, 1])
    with pytest.raises(ValueError, match="margin_arcsec"):
        write_hats_metadata(tmp_path, SHARDS, "m", "ra", "dec", margin_of="cat")
