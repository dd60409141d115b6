"""Catalog columns, cuts and the position format, on constructed rows."""

import numpy as np
import pyarrow as pa
from conftest import CUTS, catalog_rows

from qzo.products.catalog import any_qso, csv_table, qzo_selection, shortest_positions


def test_qzo_cuts_on_constructed_rows():
    # n_obs 80 → the magnitude limit is 21.375; p_WISE_QSO must exceed 0.9 strictly.
    frame = catalog_rows(
        p_WISE_QSO=[0.95, 0.9, 0.95, 0.95, 0.95],
        is_duplicate=[False, False, True, False, False],
        mag_median=[21.3, 19.0, 19.0, 21.375, 21.4],
        n_obs=[80, 80, 80, 80, 80],
    )
    assert list(qzo_selection(frame, CUTS)) == [True, False, False, False, False]


def test_any_qso_takes_either_model():
    frame = catalog_rows(
        p_QSO=[0.6, 0.2, 0.2],
        p_galaxy=[0.2, 0.7, 0.7],
        p_WISE_QSO=[0.1, 0.6, 0.1],
        p_WISE_galaxy=[0.8, 0.3, 0.8],
    )
    assert list(any_qso(frame)) == [True, True, False]


def test_positions_print_in_the_shortest_form_of_their_stored_precision():
    ra32 = np.float32(241.05074)
    values = np.array([float(ra32), 241.0507354736328123, 0.1, 359.99999999999])
    text = shortest_positions(values).to_pylist()
    assert text[0] == "241.05074"  # a float32 value: its own shortest form
    assert float(np.float32(float(text[0]))) == float(ra32)
    assert text[1] == text[0]  # the same double
    assert text[2] == "0.1"  # a double that is not a float32 keeps every digit it needs
    assert float(text[3]) == values[3]
    table = csv_table(pa.table({"ID": [1], "ra": [float(ra32)], "dec": [-12.5]}))
    assert table.column("ra").to_pylist() == ["241.05074"]
    assert table.column("dec").to_pylist() == ["-12.5"]
    assert table.column("ID").to_pylist() == [1]
