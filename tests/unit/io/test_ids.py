"""The predictions check: each group's results hold its shards' objects, one each."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qzo.io.ids import check_one_each, read_ids


def write_ids(path, ids):
    pq.write_table(
        pa.table({"objectid": np.asarray(ids, dtype=np.int64), "p": np.zeros(len(ids))}), path
    )
    return path


@pytest.fixture
def shards(tmp_path):
    """Four shards' objects in two groups of two."""
    ids = [[1, 5, 9], [2, 3], [7], [4, 6, 8]]
    return [write_ids(tmp_path / f"shard{i}.parquet", s) for i, s in enumerate(ids)], ids


def test_groups_holding_their_shards_objects_pass(tmp_path, shards):
    objects, _ = shards
    groups = [
        write_ids(tmp_path / "g0.parquet", [3, 9, 1, 2, 5]),
        write_ids(tmp_path / "g1.parquet", [8, 7, 6, 4]),
    ]
    assert check_one_each(groups, objects, [2, 2]) == 9
    assert np.array_equal(np.sort(read_ids(objects)), np.arange(1, 10))


@pytest.mark.parametrize(
    ("g1", "message"),
    [
        ([8, 7, 6], r"3 rows for 4 objects \(missing e.g. \[4\], repeated e.g. \[\]\)"),
        ([8, 7, 6, 6], r"missing e.g. \[4\], repeated e.g. \[6\]"),
        ([8, 7, 6, 4, 1], r"5 rows for 4 objects"),  # an object of the other group
    ],
)
def test_a_missing_or_repeated_prediction_names_the_group(tmp_path, shards, g1, message):
    objects, _ = shards
    groups = [
        write_ids(tmp_path / "g0.parquet", [3, 9, 1, 2, 5]),
        write_ids(tmp_path / "g1.parquet", g1),
    ]
    with pytest.raises(AssertionError, match=message) as err:
        check_one_each(groups, objects, [2, 2])
    assert "g1.parquet" in str(err.value)
    with pytest.raises(AssertionError, match="result files for groups"):
        check_one_each(groups, objects, [1, 2])
