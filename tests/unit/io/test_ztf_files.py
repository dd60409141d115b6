"""The ingest layer on the real DR5 sample and on every kind of bad input."""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from qzo.errors import InputDataError
from qzo.io.inputs import resolve_input_files
from qzo.io.ztf_files import (
    build_inventory,
    inventory_row,
    read_lightcurve_file,
    read_lightcurves,
)
from qzo.stages.inventory import ztf_inventory


def test_real_sample_reads_655_objects_with_their_epochs(ztf_sample):
    raw = pq.read_table(ztf_sample)
    lc = read_lightcurves(ztf_sample)
    assert lc.n_objects == 655
    expected = raw.column("nepochs").to_numpy()
    assert np.array_equal(lc.n_epochs, expected)
    assert np.array_equal(lc.n_epochs, pc.list_value_length(raw.column("hmjd")).to_numpy())
    assert lc.offsets[-1] == expected.sum() == len(lc.hmjd) == len(lc.mag) == len(lc.catflags)
    assert lc.hmjd.dtype == np.float64  # float32 in DR5, always cast
    first = raw.column("hmjd")[0].values.to_numpy().astype(np.float64)
    assert np.array_equal(lc.hmjd[: expected[0]], first)
    assert lc.catflags.dtype == np.uint16 and (lc.catflags >= 32768).sum() > 0


def test_extra_columns_are_not_read(ztf_sample):
    table = read_lightcurve_file(ztf_sample)
    assert "__index_level_0__" not in table.column_names
    assert table.schema.field("objra").type == pa.float64()
    only = read_lightcurve_file(ztf_sample, columns=["objectid", "hmjd"])
    assert set(only.column_names) == {"objectid", "nepochs", "hmjd"}


def test_inventory_of_real_sample(ztf_sample):
    inv = build_inventory([ztf_sample])
    row = inv.iloc[0]
    assert (row.fieldid, row.filterid, row.rcid, row.n_objects) == (202, 1, 61, 655)
    assert row.n_epochs == pq.read_table(ztf_sample).column("nepochs").to_numpy().sum()
    assert row.hmjd_type == "float"


def _rewrite(ztf_sample, tmp_path, change, name="bad.parquet"):
    table = change(pq.read_table(ztf_sample))
    path = tmp_path / name
    pq.write_table(table, path)
    return path


def _replace(table, name, array):
    return table.set_column(table.schema.get_field_index(name), name, array)


def _expect(path, column, words, check=read_lightcurve_file):
    with pytest.raises(InputDataError) as err:
        check(path)
    assert err.value.path == str(path)
    assert err.value.column == column
    assert str(path) in str(err.value)
    if column:
        assert f"column '{column}'" in str(err.value)
    assert words in str(err.value)


def test_missing_column(ztf_sample, tmp_path):
    path = _rewrite(ztf_sample, tmp_path, lambda t: t.drop_columns(["magerr"]))
    _expect(path, "magerr", "missing")


def test_wrong_scalar_type(ztf_sample, tmp_path):
    path = _rewrite(
        ztf_sample,
        tmp_path,
        lambda t: _replace(t, "objra", pc.cast(t.column("objra"), pa.string())),
    )
    _expect(path, "objra", "expected float32 or float64")


def test_wrong_list_type(ztf_sample, tmp_path):
    def to_strings(t):
        mags = t.column("mag").combine_chunks()
        strs = pa.ListArray.from_arrays(mags.offsets, pc.cast(mags.values, pa.string()))
        return _replace(t, "mag", strs)

    _expect(_rewrite(ztf_sample, tmp_path, to_strings), "mag", "list of float32 or float64")


def test_unequal_list_lengths(ztf_sample, tmp_path):
    def shorten_magerr(t):
        err = t.column("magerr").combine_chunks()
        offsets = err.offsets.to_numpy().copy()
        values = err.values.to_numpy()
        # Drop the last epoch of object 3 only.
        keep = np.ones(len(values), bool)
        keep[offsets[4] - 1] = False
        offsets[4:] -= 1
        return _replace(t, "magerr", pa.ListArray.from_arrays(pa.array(offsets), values[keep]))

    path = _rewrite(ztf_sample, tmp_path, shorten_magerr)
    oid = pq.read_table(ztf_sample).column("objectid")[3].as_py()
    _expect(path, "magerr", f"list length differs from nepochs in 1 rows (objectid {oid})")


def test_nan_position(ztf_sample, tmp_path):
    def nan_dec(t):
        dec = t.column("objdec").to_numpy().copy()
        dec[10] = np.nan
        return _replace(t, "objdec", pa.array(dec))

    _expect(_rewrite(ztf_sample, tmp_path, nan_dec), "objdec", "1 NaN or out-of-range positions")


def test_null_light_curve(ztf_sample, tmp_path):
    def null_row(t):
        hmjd = t.column("hmjd").to_pylist()
        hmjd[5] = None
        return _replace(t, "hmjd", pa.array(hmjd, pa.list_(pa.float32())))

    _expect(_rewrite(ztf_sample, tmp_path, null_row), "hmjd", "1 null values")


def test_repeated_objectid(ztf_sample, tmp_path):
    def repeat(t):
        oid = t.column("objectid").to_numpy().copy()
        oid[1] = oid[0]
        return _replace(t, "objectid", pa.array(oid))

    _expect(_rewrite(ztf_sample, tmp_path, repeat), "objectid", "repeated objectid")


def test_corrupt_file(ztf_sample, tmp_path):
    path = tmp_path / "corrupt.parquet"
    data = ztf_sample.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _expect(path, None, "not a readable Parquet file")


def test_corrupt_data_pages(ztf_sample, tmp_path):
    path = tmp_path / "scrambled.parquet"
    data = bytearray(ztf_sample.read_bytes())
    middle = len(data) // 2
    data[middle - 2000 : middle + 2000] = bytes(4000)  # footer intact, pages zeroed
    path.write_bytes(bytes(data))
    with pytest.raises(InputDataError) as err:
        read_lightcurve_file(path)
    assert str(path) in str(err.value)


def test_glob_matching_nothing_is_an_error(tmp_path):
    with pytest.raises(InputDataError, match="no light-curve file matches"):
        resolve_input_files(str(tmp_path / "*.parquet"))


def test_glob_and_list(ztf_sample, tmp_path):
    (tmp_path / "a").mkdir()
    copy = tmp_path / "a" / "x.parquet"
    copy.write_bytes(ztf_sample.read_bytes())
    assert resolve_input_files(str(tmp_path / "**" / "*.parquet")) == [copy]
    assert resolve_input_files([str(copy), str(ztf_sample)]) == sorted([copy, ztf_sample])


def test_inventory_rejects_other_band(ztf_sample, tmp_path):
    with pytest.raises(InputDataError) as err:
        ztf_inventory(
            lightcurves=str(ztf_sample),
            band="r",
            table=tmp_path / "inv.parquet",
            summary=tmp_path / "inv.json",
        )
    assert err.value.column == "filterid"
    assert not (tmp_path / "inv.parquet").exists()


def test_errors_survive_worker_processes(ztf_sample, tmp_path):
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(ztf_sample.read_bytes()[:3000])
    with pytest.raises(InputDataError) as err:
        build_inventory([ztf_sample, corrupt], workers=2)
    assert err.value.path == str(corrupt)


def inventory_of(spec, tmp_path):
    return ztf_inventory(
        lightcurves=spec, band="g", table=tmp_path / "inv.parquet", summary=tmp_path / "inv.json"
    )


def test_a_file_in_the_inputs_twice_names_both_files(ztf_sample, tmp_path):
    (tmp_path / "dr5").mkdir()
    (tmp_path / "dr20").mkdir()
    first = tmp_path / "dr5" / "ztf_000202_zg_c16_q2_dr5.parquet"
    second = tmp_path / "dr20" / "ztf_000202_zg_c16_q2_dr20.parquet"
    for path in (first, second):
        path.write_bytes(ztf_sample.read_bytes())
    with pytest.raises(InputDataError) as err:
        inventory_of(str(tmp_path / "**" / "*.parquet"), tmp_path)
    assert err.value.column == "objectid"
    assert str(first) in str(err.value) and str(second) in str(err.value)
    assert "655 objectids" in str(err.value)
    assert not (tmp_path / "inv.parquet").exists()
    # Distinct quadrants pass: the same sky, other objectids.
    second.unlink()
    assert inventory_of(str(first), tmp_path)["n_objects"] == 655


@pytest.mark.parametrize(
    ("name", "column", "message"),
    [
        (
            "ztf_000447_zg_c16_q2_dr5.parquet",
            "fieldid",
            "the file name says 447, the file holds 202",
        ),
        ("ztf_000202_zr_c16_q2_dr5.parquet", "filterid", "the file name says 2, the file holds 1"),
        ("ztf_000202_zg_c11_q3_dr5.parquet", "rcid", "the file name says 42, the file holds 61"),
    ],
)
def test_a_file_name_that_disagrees_with_its_contents(ztf_sample, tmp_path, name, column, message):
    path = tmp_path / name
    path.write_bytes(ztf_sample.read_bytes())
    _expect(path, column, message, check=inventory_row)


def test_objectids_must_encode_the_files_field(ztf_sample, tmp_path):
    def other_field(t):
        oid = t.column("objectid").to_numpy().copy()
        oid[7] += 10**12  # field 203
        return _replace(t, "objectid", pa.array(oid))

    path = _rewrite(ztf_sample, tmp_path, other_field)
    _expect(path, "objectid", "1 objectids encode another fieldid", check=inventory_row)
