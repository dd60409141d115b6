"""Object ids of many Parquet files: read them, and check that each group of results holds
its shards' objects one each (the sky-wide checks, one group in memory at a time)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from qzo.arrays.unique import repeated_values
from qzo.errors import InputDataError
from qzo.io import StrPath


def read_ids(paths: Sequence[StrPath], column: str = "objectid") -> np.ndarray:
    """``column`` of every file in ``paths``, concatenated (``ParquetFile.read``: a third of
    ``read_table``'s time on 200 small files)."""
    parts = []
    for path in paths:
        try:
            parts.append(pq.ParquetFile(path).read(columns=[column]).column(0).to_numpy())
        except (pa.ArrowException, OSError, KeyError) as exc:
            raise InputDataError(path, f"could not read the ids ({exc})", column=column) from None
    return np.concatenate(parts) if parts else np.array([], dtype=np.int64)


def check_one_each(
    results: Sequence[StrPath], objects: Sequence[StrPath], group_sizes: Sequence[int]
) -> int:
    """Each file of ``results`` holds the objectids of its group's ``objects`` files (consecutive,
    ``group_sizes`` of them), each exactly once; returns the total. One group in memory at a
    time, so a whole data release is checked in bounded memory."""
    if sum(group_sizes) != len(objects) or len(group_sizes) != len(results):
        raise AssertionError(
            f"{len(results)} result files for groups of {list(group_sizes)} of {len(objects)}"
        )
    total, start = 0, 0
    for path, size in zip(results, group_sizes, strict=True):
        got = np.sort(read_ids([path]))
        wanted = np.sort(read_ids(objects[start : start + size]))
        start += size
        if not np.array_equal(got, wanted):
            missing = np.setdiff1d(wanted, got)[:3].tolist()
            raise AssertionError(
                f"{path}: {len(got)} rows for {len(wanted)} objects (missing e.g. {missing}, "
                f"repeated e.g. {repeated_values(got)[:3].tolist()})"
            )
        total += len(got)
    return total
