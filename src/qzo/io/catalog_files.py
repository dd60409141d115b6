"""External catalog files (AllWISE, PS1, Gaia, SDSS specObj): reading them validated, and
reading one shard of a partitioned catalog."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from qzo.errors import InputDataError
from qzo.io import StrPath
from qzo.lightcurves.crossmatch import SURVEYS

#: The SDSS specObj columns the training set needs (besides the positions).
SDSS_COLUMNS = ["SPECOBJID", "CLASS", "Z", "ZWARNING"]


def catalog_columns(name: str) -> list[str]:
    """The columns the pipeline reads from an external catalog (besides its positions)."""
    if name == "sdss":
        return list(SDSS_COLUMNS)
    survey = SURVEYS[name]
    return survey.columns + (["ph_qual"] if name == "allwise" else [])


def read_catalog_file(path: StrPath, ra: str, dec: str, required: Iterable[str] = ()) -> pa.Table:
    """An external catalog file; its position columns must exist, be numeric and finite, and
    the ``required`` columns must exist."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputDataError(path, f"not a readable Parquet file ({exc})") from None
    for col in required:
        if col not in table.column_names:
            raise InputDataError(path, "column is missing", column=col)
    for col in (ra, dec):
        if col not in table.column_names:
            raise InputDataError(path, "position column is missing", column=col)
        if not pa.types.is_floating(table.schema.field(col).type):
            raise InputDataError(
                path, f"has type {table.schema.field(col).type}, expected a float", column=col
            )
        bad = ~np.isfinite(table.column(col).to_numpy(zero_copy_only=False))
        if bad.any():
            raise InputDataError(path, f"{int(bad.sum())} NaN positions", column=col)
    return table


def read_catalog_shard(paths: Sequence[StrPath], columns: Sequence[str]) -> pd.DataFrame:
    """The ``columns`` of a partitioned catalog's shard files (a shard and its margin), as one
    table."""
    frames = []
    for path in paths:
        try:
            frames.append(pd.read_parquet(path, columns=list(columns)))
        except (pa.ArrowException, OSError, KeyError) as exc:
            raise InputDataError(path, f"could not read the catalog shard ({exc})") from None
    return pd.concat(frames, ignore_index=True)
