import numpy as np
import pyarrow.parquet as pq

from qzo.io.ztf_format import DRFileName, decode_objectid, encode_objectid


def test_objectid_encoding_matches_real_ids(ztf_sample):
    table = pq.read_table(ztf_sample, columns=["objectid", "fieldid", "rcid", "filterid"])
    parts = decode_objectid(table.column("objectid").to_numpy())
    assert np.array_equal(parts["fieldid"], table.column("fieldid").to_numpy())
    assert np.array_equal(parts["rcid"], table.column("rcid").to_numpy())
    assert np.array_equal(parts["filterid"], table.column("filterid").to_numpy())
    again = encode_objectid(parts["fieldid"], parts["filterid"], parts["rcid"], parts["seq"])
    assert np.array_equal(again, table.column("objectid").to_numpy())


def test_objectid_of_real_r_band_light_curve():
    # fixtures/real_dr_lightcurves/633211400005684.csv: field 633, r band, ccd 11, quadrant 4.
    parts = decode_objectid([633211400005684])
    assert parts["fieldid"][0] == 633
    assert parts["filterid"][0] == 2
    assert parts["rcid"][0] == 4 * (11 - 1) + (4 - 1)
    assert parts["seq"][0] == 5684


def test_file_name_round_trip():
    name = DRFileName(fieldid=202, band="g", rcid=61, dr=5)
    assert name.name == "ztf_000202_zg_c16_q2_dr5.parquet"
    assert name.relpath == "0/field000202/ztf_000202_zg_c16_q2_dr5.parquet"
    assert DRFileName.parse(name.name) == name
    assert DRFileName.parse("ztf_001446_zr_c01_q1_dr20.parquet") == DRFileName(1446, "r", 0, 20)
    assert DRFileName.parse("notes.parquet") is None
