"""External catalog files (AllWISE, PS1, Gaia, SDSS specObj): reading them validated, and
reading one shard of a partitioned catalog."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from qzo.errors import InputDataError
from qzo.io import StrPath
from qzo.lightcurves.crossmatch import SURVEYS
from qzo.sky.healpix import HEALPIX_29

log = logging.getLogger(__name__)

#: The SDSS specObj columns the training set needs (besides the positions), and their kinds.
SDSS_COLUMNS = {"SPECOBJID": "number", "CLASS": "text", "Z": "number", "ZWARNING": "number"}
#: Columns a partitioned catalog writes itself (HATS): an input's own are ignored, with a word.
RESERVED_COLUMNS = (HEALPIX_29, "Norder", "Dir", "Npix")


def catalog_column_kinds(name: str) -> dict[str, str]:
    """The columns the pipeline reads from an external catalog (besides its positions), each
    ``number`` or ``text``."""
    if name == "sdss":
        return dict(SDSS_COLUMNS)
    kinds = dict.fromkeys(SURVEYS[name].columns, "number")
    if name == "allwise":
        kinds["ph_qual"] = "text"
    return kinds


def catalog_columns(name: str) -> list[str]:
    """The columns the pipeline reads from an external catalog (besides its positions)."""
    return list(catalog_column_kinds(name))


def _kind_ok(typ: pa.DataType, kind: str) -> bool:
    if pa.types.is_dictionary(typ):
        typ = typ.value_type
    if kind == "number":
        return pa.types.is_integer(typ) or pa.types.is_floating(typ)
    return pa.types.is_string(typ) or pa.types.is_large_string(typ)


def read_catalog_file(
    path: StrPath, ra: str, dec: str, required: Mapping[str, str] | Iterable[str] = ()
) -> pa.Table:
    """An external catalog file; its position columns must exist, be numeric and finite, and
    the ``required`` columns must exist (and, given as a mapping to ``number`` or ``text``, be
    of that kind). Columns the partition writes itself (:data:`RESERVED_COLUMNS`) are dropped,
    with a warning."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputDataError(path, f"not a readable Parquet file ({exc})") from None
    kinds = dict(required) if isinstance(required, Mapping) else dict.fromkeys(required)
    for col, kind in kinds.items():
        if col not in table.column_names:
            raise InputDataError(path, "column is missing", column=col)
        typ = table.schema.field(col).type
        if kind and not _kind_ok(typ, kind):
            want = "numbers" if kind == "number" else "text"
            raise InputDataError(path, f"has type {typ}, expected {want}", column=col)
    reserved = [c for c in RESERVED_COLUMNS if c in table.column_names]
    if reserved:
        log.warning("%s: columns %s ignored (the partition writes its own)", path, reserved)
        table = table.drop_columns(reserved)
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
