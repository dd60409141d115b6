"""Light curves stored as Arrow list columns, as flat arrays cut by offsets."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def table_sequences(
    table: pa.Table, errors: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """(offsets, times, mags, errors) of a table's ``mjd`` / ``mag`` (and, with ``errors``,
    ``magerr``) list columns as flat arrays; errors is None without ``errors``."""
    mjd = table.column("mjd").combine_chunks()
    offsets = mjd.offsets.to_numpy() - mjd.offsets.to_numpy()[0]
    mags = table.column("mag").combine_chunks().flatten().to_numpy()
    magerr = None
    if errors:
        if "magerr" not in table.column_names:
            raise KeyError("the light-curve model takes magnitude errors: no column 'magerr'")
        magerr = table.column("magerr").combine_chunks().flatten().to_numpy()
    return offsets, mjd.flatten().to_numpy(), mags, magerr
