"""One id column of many Parquet files, as one array (the sky-wide checks)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

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
