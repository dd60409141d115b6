"""External catalog files: wrong column kinds, the columns the partition writes itself, and
columns without a value, on constructed files."""

from __future__ import annotations

import json
import logging

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qzo.errors import InputDataError
from qzo.io.catalog_files import catalog_column_kinds, read_catalog_file
from qzo.sky.healpix import ShardSet, healpix_29
from qzo.stages.partition import partition_catalog


def allwise(path, n=4, **columns):
    """An AllWISE-like file near (ra, dec) = (45, 20), with every column the pipeline reads."""
    ra = 45.0 + 0.001 * np.arange(n)
    data = {"ra": ra, "dec": np.full(n, 20.0)}
    for col, kind in catalog_column_kinds("allwise").items():
        data[col] = np.full(n, "AAAU") if kind == "text" else np.linspace(14, 15, n)
    data.update(columns)
    pq.write_table(pa.table(data), path)
    return path


def test_a_feature_column_of_the_wrong_type_is_named(tmp_path):
    path = allwise(tmp_path / "w.parquet", w1mpro=np.array(["15.1", "null", "14", "null"]))
    with pytest.raises(InputDataError) as err:
        read_catalog_file(path, "ra", "dec", catalog_column_kinds("allwise"))
    assert err.value.column == "w1mpro" and "expected numbers" in str(err.value)
    assert str(path) in str(err.value)
    path = allwise(tmp_path / "q.parquet", ph_qual=np.arange(4))
    with pytest.raises(InputDataError, match="column 'ph_qual': has type int64, expected text"):
        read_catalog_file(path, "ra", "dec", catalog_column_kinds("allwise"))


def plan_file(tmp_path) -> tuple:
    shards = ShardSet(order=np.array([0]), npix=np.array([0]))  # (45, 20) lies in pixel 0
    assert shards.lookup(healpix_29([45.0], [20.0]))[0] == 0
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"shards": shards.names}))
    return plan, shards


def partition(tmp_path, path):
    plan, _ = plan_file(tmp_path)
    out = tmp_path / "allwise_catalog"
    totals = partition_catalog(
        catalog="allwise",
        files=[path],
        spec={"ra": "ra", "dec": "dec"},
        plan=plan,
        margin_arcsec=5.0,
        partitioned=out,
    )
    return out, totals


def test_hats_columns_of_an_input_are_ignored_with_a_warning(tmp_path, caplog):
    """A catalog exported by lsdb carries _healpix_29 (and hive Norder/Dir/Npix): the partition
    writes its own, right ones."""
    path = allwise(
        tmp_path / "w.parquet",
        _healpix_29=np.zeros(4, np.int64),
        Norder=np.full(4, 7),
        Dir=np.zeros(4, np.int64),
        Npix=np.full(4, 99),
    )
    with caplog.at_level(logging.WARNING):
        out, totals = partition(tmp_path, path)
    assert "ignored (the partition writes its own)" in caplog.text
    shard = pq.read_table(next((out / "allwise" / "dataset").rglob("Npix=0.parquet")))
    assert shard.num_rows == 4 and totals["rows_out"] == 4
    assert shard.column_names.count("_healpix_29") == 1
    assert not {"Norder", "Dir", "Npix"} & set(shard.column_names)
    assert (shard.column("_healpix_29").to_numpy() == healpix_29(shard["ra"], shard["dec"])).all()


def test_a_feature_column_without_values_is_reported(tmp_path, caplog):
    path = allwise(tmp_path / "w.parquet", w1mpro=np.full(4, np.nan))
    with caplog.at_level(logging.WARNING):
        out, totals = partition(tmp_path, path)
    assert totals["columns_without_values"] == ["w1mpro"]
    assert json.loads((out / "accounting.json").read_text())["columns_without_values"] == ["w1mpro"]
    assert "no row has a value in ['w1mpro']" in caplog.text


def test_a_catalog_file_without_rows_gives_empty_valid_shards(tmp_path):
    path = allwise(tmp_path / "w.parquet", n=0)
    out, totals = partition(tmp_path, path)
    assert totals["rows_in"] == totals["rows_out"] == 0
    assert pq.read_table(next((out / "allwise" / "dataset").rglob("*.parquet"))).num_rows == 0
    assert (out / "allwise" / "properties").exists()
