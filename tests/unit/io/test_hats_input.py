"""A HATS light-curve catalog as input: the real DR5 fixture in IRSA's layout, the plan from its
metadata, shards cut from large partitions, margins, and every kind of bad partition."""

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import DATA, preprocess_settings

from qzo.errors import InputDataError
from qzo.io.hats_input import HatsInput, hats_input_plan, is_hats_input, read_partition_info
from qzo.io.hats_lightcurves import NESTED, read_hats_lightcurves, to_irsa_table
from qzo.io.ztf_files import read_lightcurve_file, read_shard_lightcurves
from qzo.lightcurves.preprocess import preprocess
from qzo.sky.hats_convert import main as convert
from qzo.sky.hats_shards import checked_hats_plan, read_hats_shard

FIXTURE = DATA / "ztf_dr5_field202_rc61_hats"
SAMPLE_ROWS = 655


def settings(max_rows=1_000_000, margin_arcsec=5.0, highest_order=12):
    return {
        "max_rows_per_shard": max_rows,
        "highest_order": highest_order,
        "lowest_order": 0,
        "margin_arcsec": margin_arcsec,
        "files_per_batch": 64,
    }


def read_all_shards(plan, tmp_path, band="g"):
    """Every shard of ``plan`` read as a shard job would: (main tables, margin tables, counts)."""
    mains, margins, counts = [], [], []
    for i, shard in enumerate(plan["shards"]):
        main, margin = tmp_path / f"s{i}.parquet", tmp_path / f"m{i}.parquet"
        counts.append(read_hats_shard(plan, shard, band, main, margin))
        mains.append(pq.read_table(main))
        margins.append(pq.read_table(margin))
    return mains, margins, counts


def test_fixture_is_what_the_converter_writes(tmp_path, ztf_sample):
    out = tmp_path / "hats"
    options = ["--max-rows", "300", "--highest-order", "12", "--margin-arcsec", "10"]
    convert([str(out), str(ztf_sample), *options])
    written = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert written == sorted(p.relative_to(FIXTURE) for p in FIXTURE.rglob("*") if p.is_file())
    for rel in written:
        assert (out / rel).read_bytes() == (FIXTURE / rel).read_bytes(), rel


def test_fixture_has_irsa_columns_and_opens_in_hats_and_lsdb():
    import hats
    import lsdb

    schema = pq.read_schema(FIXTURE / "ztf_lc" / "dataset" / "_common_metadata")
    assert schema.field("objra").type == pa.float32()
    assert schema.field("filterid").type == pa.int8()
    nested = schema.field(NESTED).type
    assert pa.types.is_struct(nested)
    assert nested.field("hmjd").type == pa.list_(pa.float64())
    assert nested.field("catflags").type == pa.list_(pa.int32())
    collection = hats.read_hats(FIXTURE)
    assert collection.main_catalog.catalog_info.total_rows == SAMPLE_ROWS
    catalog = lsdb.open_catalog(FIXTURE)
    assert catalog.margin is not None
    assert len(catalog.compute()) == SAMPLE_ROWS


def test_collection_resolves_to_catalog_and_margin():
    assert is_hats_input(str(FIXTURE))
    assert not is_hats_input(str(DATA))
    assert not is_hats_input([str(FIXTURE)])
    source = HatsInput.open(FIXTURE)
    assert source.catalog == FIXTURE / "ztf_lc"
    assert source.margin == FIXTURE / "ztf_lc_10arcs"
    assert source.margin_arcsec == 10.0
    bare = HatsInput.open(FIXTURE / "ztf_lc")
    assert bare.margin is None and bare.margin_arcsec is None


def test_plan_uses_partitions_as_shards_and_agrees_with_hats():
    plan = checked_hats_plan(str(FIXTURE), settings())
    partitions, rows = read_partition_info(FIXTURE / "ztf_lc")
    assert plan["partitions"] == [list(p) for p in partitions]
    by_position = sorted(partitions, key=lambda p: p[1] << 2 * (29 - p[0]))
    assert plan["shards"] == [
        f"Norder={o}/Dir={n // 10000 * 10000}/Npix={n}" for o, n in by_position
    ]
    assert plan["n_rows"] == sum(rows.values()) == SAMPLE_ROWS
    assert all(s["hp29_range"] is None for s in plan["sources"])
    assert plan["shard_rows"] == [rows[p] for p in by_position]


def test_large_partitions_are_cut_into_children_that_read_each_row_once(tmp_path):
    plan = hats_input_plan(FIXTURE, settings(max_rows=100))
    cut = [s for s in plan["sources"] if s["hp29_range"] is not None]
    assert cut and len(plan["shards"]) > len(plan["partitions"])
    mains, margins, counts = read_all_shards(plan, tmp_path)
    ids = np.concatenate([t.column("objectid").to_numpy() for t in mains])
    assert len(ids) == len(np.unique(ids)) == SAMPLE_ROWS
    assert sum(c["rows_read"] for c in counts) == SAMPLE_ROWS
    # Each child's margin holds its siblings' rows near it: the children tile the sky.
    assert sum(t.num_rows for t in margins) > 0


def test_fixture_preprocesses_like_the_file(tmp_path, ztf_sample):
    plan = hats_input_plan(FIXTURE, settings())
    mains, _, _ = read_all_shards(plan, tmp_path)
    from_file = preprocess(read_shard_lightcurves(ztf_sample), preprocess_settings()).accounting
    totals: dict = {}
    for i in range(len(mains)):
        acc = preprocess(read_shard_lightcurves(tmp_path / f"s{i}.parquet"), preprocess_settings())
        for key in ("objects_in", "epochs_in", "objects_out", "nights_out"):
            totals[key] = totals.get(key, 0) + acc.accounting[key]
        for reason, n in acc.accounting["objects_dropped"].items():
            totals[reason] = totals.get(reason, 0) + n
    for key in ("objects_in", "epochs_in", "objects_out", "nights_out"):
        assert totals[key] == from_file[key], key
    for reason, n in from_file["objects_dropped"].items():
        assert totals.get(reason, 0) == n, reason
    # The light curves themselves: the file's rows, values and types.
    table = pa.concat_tables(mains)
    file_table = read_lightcurve_file(ztf_sample)
    order = np.argsort(table.column("objectid").to_numpy())
    for name in file_table.column_names:
        assert table.column(name).take(pa.array(order)).equals(file_table.column(name)), name


def test_margin_from_neighbours_equals_margin_from_the_cache(tmp_path):
    with_cache = hats_input_plan(FIXTURE, settings(max_rows=100))
    without = hats_input_plan(FIXTURE / "ztf_lc", settings(max_rows=100))
    assert without["margin_catalog"] is None
    narrow = hats_input_plan(FIXTURE, settings(max_rows=100, margin_arcsec=20.0))
    assert narrow["margin_threshold_arcsec"] < 20.0  # the cache is too narrow: neighbours
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _, margins_cache, _ = read_all_shards(with_cache, tmp_path / "a")
    _, margins_nb, _ = read_all_shards(without, tmp_path / "b")
    assert sum(t.num_rows for t in margins_cache) > 0
    for a, b in zip(margins_cache, margins_nb, strict=True):
        assert a.equals(b)


# --- bad input --------------------------------------------------------------------------------


@pytest.fixture
def partition_table():
    """The fixture's first partition as a table in IRSA's types."""
    path = next((FIXTURE / "ztf_lc" / "dataset").rglob("part0.snappy.parquet"))
    return pq.read_table(path)


def write(tmp_path, table, name="part0.snappy.parquet"):
    path = tmp_path / name
    pq.write_table(table, path)
    return path


def nested_with(table, name, values):
    nested = table.column(NESTED).combine_chunks()
    fields = {f.name: nested.field(f.name) for f in nested.type}
    fields[name] = values
    return table.set_column(
        table.schema.get_field_index(NESTED),
        NESTED,
        pa.StructArray.from_arrays(list(fields.values()), names=list(fields)),
    )


def test_bad_partitions_are_named_with_file_and_column(tmp_path, partition_table):
    cases = {
        "objra": partition_table.drop_columns(["objra"]),
        f"{NESTED}.magerr": nested_with(
            partition_table.drop_columns([NESTED]).append_column(
                NESTED, partition_table.column(NESTED).combine_chunks()
            ),
            "magerr",
            partition_table.column(NESTED).combine_chunks().field("magerr"),
        ).set_column(
            partition_table.schema.get_field_index(NESTED),
            NESTED,
            pa.StructArray.from_arrays(
                [partition_table.column(NESTED).combine_chunks().field(n) for n in ("hmjd", "mag")],
                names=["hmjd", "mag"],
            ),
        ),
    }
    for column, table in cases.items():
        path = write(tmp_path, table, f"{column}.parquet")
        with pytest.raises(InputDataError, match="missing") as err:
            read_hats_lightcurves(path, "g")
        assert err.value.column == column and err.value.path == str(path)

    mag = partition_table.column(NESTED).combine_chunks().field("mag")
    offsets = mag.offsets.to_numpy().copy()
    offsets[1] += 1  # one epoch moves from the second light curve to the first
    short = pa.ListArray.from_arrays(pa.array(offsets), mag.values)
    for column, table, message in (
        ("mag", nested_with(partition_table, "mag", short), "length differs from nepochs"),
        ("objectid", pa.concat_tables([partition_table, partition_table]), "repeated objectid"),
        (
            "objdec",
            partition_table.set_column(
                partition_table.schema.get_field_index("objdec"),
                "objdec",
                pa.array(np.full(partition_table.num_rows, np.nan, np.float32)),
            ),
            "NaN or out-of-range",
        ),
        (
            "filterid",
            partition_table.set_column(
                partition_table.schema.get_field_index("filterid"),
                "filterid",
                pa.array(["g"] * partition_table.num_rows),
            ),
            "expected an integer type",
        ),
    ):
        path = write(tmp_path, table, f"bad_{column}.parquet")
        with pytest.raises(InputDataError, match=message) as err:
            read_hats_lightcurves(path, "g")
        assert err.value.column == column, message

    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1 not really")
    with pytest.raises(InputDataError, match="not a readable Parquet file") as err:
        read_hats_lightcurves(corrupt, "g")
    assert err.value.path == str(corrupt)


def test_other_bands_are_counted_and_left_out(tmp_path, partition_table):
    r_band = partition_table.set_column(
        partition_table.schema.get_field_index("filterid"),
        "filterid",
        pa.array(np.full(partition_table.num_rows, 2, np.int8)),
    ).set_column(
        partition_table.schema.get_field_index("objectid"),
        "objectid",
        pa.array(partition_table.column("objectid").to_numpy() + 10**11),
    )
    path = write(tmp_path, pa.concat_tables([partition_table, r_band]))
    table, counts = read_hats_lightcurves(path, "g")
    assert table.num_rows == partition_table.num_rows
    n = partition_table.num_rows
    assert counts == {"rows_read": 2 * n, "rows_other_band": n}
    r_only, _ = read_hats_lightcurves(path, "r")
    assert set(r_only.column("filterid").to_numpy()) == {2}


def test_list_of_structs_and_part_directories_read_alike(tmp_path, partition_table):
    nested = partition_table.column(NESTED).combine_chunks()
    n = nested.field("hmjd")
    rows = pa.StructArray.from_arrays(
        [nested.field(f.name).values for f in nested.type], names=[f.name for f in nested.type]
    )
    as_list = partition_table.set_column(
        partition_table.schema.get_field_index(NESTED),
        NESTED,
        pa.ListArray.from_arrays(n.offsets, rows),
    )
    folder = tmp_path / "Npix=1"
    folder.mkdir()
    half = partition_table.num_rows // 2
    write(folder, as_list.slice(0, half), "part0.parquet")
    write(folder, as_list.slice(half), "part1.parquet")
    expected, _ = read_hats_lightcurves(write(tmp_path, partition_table), "g")
    got, counts = read_hats_lightcurves(folder, "g")
    assert got.equals(expected)
    assert counts["rows_read"] == partition_table.num_rows
    write(folder, as_list.slice(0, 3), "part2.parquet")
    with pytest.raises(InputDataError, match="two part files"):
        read_hats_lightcurves(folder, "g")


def test_plan_errors_name_the_metadata_file(tmp_path):
    catalog = tmp_path / "cat"
    shutil.copytree(FIXTURE / "ztf_lc", catalog)
    (catalog / "partition_info.csv").write_text("Norder,Npix,num_rows\n3,559,x\n")
    with pytest.raises(InputDataError, match="not an integer") as err:
        hats_input_plan(catalog, settings())
    assert err.value.column == "num_rows"
    (catalog / "partition_info.csv").unlink()
    with pytest.raises(InputDataError, match="missing") as err:
        hats_input_plan(catalog, settings())
    assert err.value.path.endswith("partition_info.csv")
    assert json.dumps(hats_input_plan(FIXTURE, settings()))  # the plan is plain JSON
    assert Path(hats_input_plan(FIXTURE, settings())["catalog"]) == FIXTURE / "ztf_lc"


def test_irsa_table_round_trips_the_canonical_layout(ztf_sample):
    from qzo.sky.healpix import HEALPIX_29, healpix_29

    table = read_lightcurve_file(ztf_sample)
    hp29 = healpix_29(table.column("objra").to_numpy(), table.column("objdec").to_numpy())
    irsa = to_irsa_table(table.append_column(HEALPIX_29, pa.array(hp29)))
    assert irsa.schema.field("objra").type == pa.float32()
    assert (
        irsa.column(NESTED)
        .combine_chunks()
        .field("mag")
        .equals(table.column("mag").combine_chunks())
    )
