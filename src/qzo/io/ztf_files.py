"""Read and validate ZTF DR light-curve Parquet files, real or simulated.

Only the columns the pipeline needs are read; extra columns (such as pandas'
``__index_level_0__``) are ignored. Every check that fails raises
:class:`~qzo.errors.InputDataError` naming the file and the column.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from qzo.arrays.unique import repeated_values
from qzo.errors import InputDataError
from qzo.io import StrPath
from qzo.io.hats_input import HEALPIX_29
from qzo.io.ztf_format import (
    ALL_COLUMNS,
    FILTER_IDS,
    LIST_COLUMNS,
    SCALAR_COLUMNS,
    DRFileName,
    decode_objectid,
)

log = logging.getLogger(__name__)

_FLOAT_SCALARS = {"objra", "objdec"}
_FLOAT_LISTS = {"hmjd", "mag", "magerr", "clrcoeff"}


def _open(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except FileNotFoundError:
        raise InputDataError(path, "file does not exist") from None
    except (pa.ArrowException, OSError) as exc:
        raise InputDataError(path, f"not a readable Parquet file ({exc})") from None


def check_column_type(path: StrPath, name: str, typ: pa.DataType) -> None:
    """A light-curve column's Arrow type is usable (per-epoch columns as lists), else an error
    naming ``path`` and the column."""
    if name in SCALAR_COLUMNS:
        ok = pa.types.is_floating(typ) if name in _FLOAT_SCALARS else pa.types.is_integer(typ)
        want = "float32 or float64" if name in _FLOAT_SCALARS else "an integer type"
    else:
        is_list = pa.types.is_list(typ) or pa.types.is_large_list(typ)
        elem = typ.value_type if is_list else None
        if name in _FLOAT_LISTS:
            ok = is_list and pa.types.is_floating(elem)
            want = "a list of float32 or float64"
        else:
            ok = is_list and pa.types.is_integer(elem)
            want = "a list of integers"
    if not ok:
        raise InputDataError(path, f"has type {typ}, expected {want}", column=name)


def read_schema(path: StrPath) -> pa.Schema:
    """The file's Arrow schema, once every required column is found with a usable type."""
    path = Path(path)
    schema = _open(path).schema_arrow
    for name in ALL_COLUMNS:
        idx = schema.get_field_index(name)
        if idx < 0:
            raise InputDataError(path, "required column is missing", column=name)
        check_column_type(path, name, schema.field(idx).type)
    return schema


def _first_bad(table: pa.Table, mask: np.ndarray) -> str:
    ids = table.column("objectid").to_numpy()[mask][:3]
    return ", ".join(str(i) for i in ids)


def read_lightcurve_file(path: StrPath, columns: Iterable[str] | None = None) -> pa.Table:
    """Read one DR light-curve file, validated and in canonical types.

    Canonical types: objectid/nepochs int64, filterid/rcid uint8, fieldid int16, objra/objdec
    float64, hmjd list<float64>, mag/magerr/clrcoeff list<float32>, catflags list<uint16>.
    ``columns`` restricts what is read (``objectid`` and ``nepochs`` are always read for checks).
    """
    path = Path(path)
    read_schema(path)
    wanted = list(ALL_COLUMNS) if columns is None else list(columns)
    unknown = [c for c in wanted if c not in ALL_COLUMNS]
    if unknown:
        raise ValueError(f"unknown light-curve columns requested: {unknown}")
    cols = list(dict.fromkeys(["objectid", "nepochs", *wanted]))
    try:
        table = pq.read_table(path, columns=cols)
    except (pa.ArrowException, OSError) as exc:
        raise InputDataError(path, f"could not read the data ({exc})") from None
    return canonical_table(path, table)


def canonical_table(path: StrPath, table: pa.Table) -> pa.Table:
    """``table``'s light-curve columns validated and cast to the canonical types (no nulls;
    unique objectids; finite, in-range positions; list lengths equal to ``nepochs``). Errors
    name ``path`` and the column."""
    table = table.combine_chunks()
    out = {}
    for name in table.column_names:
        col = table.column(name)
        if col.null_count:
            raise InputDataError(
                path,
                f"{col.null_count} null values (objectid {_first_bad(table, _null_mask(col))})",
                column=name,
            )
        if name == HEALPIX_29:
            target = pa.int64()
        elif name in _FLOAT_SCALARS:
            target = pa.float64()
        else:
            target = SCALAR_COLUMNS.get(name) or pa.list_(LIST_COLUMNS[name])
        try:
            out[name] = col.cast(target)
        except pa.ArrowInvalid as exc:
            raise InputDataError(path, f"values do not fit {target} ({exc})", column=name) from None
    table = pa.table(out)
    _validate_rows(Path(path), table)
    return table


def _null_mask(col: pa.ChunkedArray) -> np.ndarray:
    return pc.is_null(col).to_numpy(zero_copy_only=False)


def _validate_rows(path: Path, table: pa.Table) -> None:
    oid = table.column("objectid").to_numpy()
    if len(repeated_values(oid)):
        dup = pd.Series(oid).duplicated(keep=False).to_numpy()
        raise InputDataError(
            path, f"repeated objectid ({_first_bad(table, dup)})", column="objectid"
        )
    for name in ("objra", "objdec"):
        if name in table.column_names:
            v = table.column(name).to_numpy()
            bad = ~np.isfinite(v)
            bad |= (np.abs(v) > 90) if name == "objdec" else ((v < 0) | (v >= 360))
            if bad.any():
                raise InputDataError(
                    path,
                    f"{bad.sum()} NaN or out-of-range positions "
                    f"(objectid {_first_bad(table, bad)})",
                    column=name,
                )
    nepochs = table.column("nepochs").to_numpy()
    for name in LIST_COLUMNS:
        if name not in table.column_names:
            continue
        lengths = pc.list_value_length(table.column(name)).to_numpy(zero_copy_only=False)
        bad = lengths != nepochs
        if bad.any():
            raise InputDataError(
                path,
                f"list length differs from nepochs in {bad.sum()} rows "
                f"(objectid {_first_bad(table, bad)})",
                column=name,
            )


@dataclass
class LightCurves:
    """Light curves as flat epoch arrays plus offsets: object i owns ``offsets[i]:offsets[i+1]``."""

    objectid: np.ndarray
    ra: np.ndarray
    dec: np.ndarray
    offsets: np.ndarray
    hmjd: np.ndarray
    mag: np.ndarray
    magerr: np.ndarray
    catflags: np.ndarray

    @property
    def n_objects(self) -> int:
        return len(self.objectid)

    @property
    def n_epochs(self) -> np.ndarray:
        return np.diff(self.offsets)

    @classmethod
    def from_table(cls, table: pa.Table) -> LightCurves:
        def flat(name: str) -> tuple[np.ndarray, np.ndarray]:
            arr = table.column(name).combine_chunks()
            return arr.flatten().to_numpy(zero_copy_only=False), arr.offsets.to_numpy()

        hmjd, offsets = flat("hmjd")
        offsets = offsets - offsets[0]
        return cls(
            objectid=table.column("objectid").to_numpy(),
            ra=table.column("objra").to_numpy(),
            dec=table.column("objdec").to_numpy(),
            offsets=offsets.astype(np.int64),
            hmjd=hmjd,
            mag=flat("mag")[0],
            magerr=flat("magerr")[0],
            catflags=flat("catflags")[0],
        )


#: The columns preprocessing reads.
PREPROCESS_COLUMNS = ["objectid", "objra", "objdec", "nepochs", "hmjd", "mag", "magerr", "catflags"]


def read_lightcurves(path: StrPath) -> LightCurves:
    """Read one DR file, validated, into flat arrays (the columns preprocessing needs)."""
    return LightCurves.from_table(read_lightcurve_file(path, columns=PREPROCESS_COLUMNS))


def read_shard_lightcurves(path: StrPath) -> LightCurves:
    """Read a light-curve shard (or margin) file, written by the partition from validated
    files, into flat arrays."""
    try:
        table = pq.read_table(path, columns=PREPROCESS_COLUMNS)
    except (pa.ArrowException, OSError) as exc:
        raise InputDataError(path, f"not a readable shard file ({exc})") from None
    return LightCurves.from_table(table)


INVENTORY_COLUMNS = [
    "path",
    "fieldid",
    "filterid",
    "rcid",
    "n_objects",
    "n_epochs",
    "hmjd_type",
    "size_bytes",
]


def _check_identity(path: Path, table: pa.Table, field: int, band: int, rcid: int) -> None:
    """The file's objectids encode its field, filter and quadrant, and an IRSA file name
    (``ztf_{field}_z{band}_c{ccd}_q{q}_dr{N}.parquet``) names what the file holds."""
    decoded = decode_objectid(table.column("objectid").to_numpy())
    for name, value in (("fieldid", field), ("filterid", band), ("rcid", rcid)):
        wrong = decoded[name] != value
        if wrong.any():
            raise InputDataError(
                path,
                f"{int(wrong.sum())} objectids encode another {name} than the file's {value} "
                f"(objectid {_first_bad(table, wrong)} encodes {int(decoded[name][wrong][0])})",
                column="objectid",
            )
    named = DRFileName.parse(path.name)
    if named is None:
        return
    for name, said, held in (
        ("fieldid", named.fieldid, field),
        ("filterid", FILTER_IDS[named.band], band),
        ("rcid", named.rcid, rcid),
    ):
        if said != held:
            raise InputDataError(
                path, f"the file name says {said}, the file holds {held}", column=name
            )


def inventory_row(path: StrPath) -> dict:
    """Validate one file fully and summarise it (one inventory row)."""
    path = Path(path)
    schema = read_schema(path)
    table = read_lightcurve_file(path)
    fields = np.unique(table.column("fieldid").to_numpy())
    filters = np.unique(table.column("filterid").to_numpy())
    rcids = np.unique(table.column("rcid").to_numpy())
    for name, values in (("fieldid", fields), ("filterid", filters), ("rcid", rcids)):
        if len(values) > 1:
            raise InputDataError(
                path, f"one file must hold one value, found {values[:5]}", column=name
            )
    if table.num_rows:
        _check_identity(path, table, int(fields[0]), int(filters[0]), int(rcids[0]))
    return {
        "path": str(path),
        "fieldid": int(fields[0]) if len(fields) else -1,
        "filterid": int(filters[0]) if len(filters) else -1,
        "rcid": int(rcids[0]) if len(rcids) else -1,
        "n_objects": table.num_rows,
        "n_epochs": int(table.column("nepochs").to_numpy().sum()),
        "hmjd_type": str(schema.field("hmjd").type.value_type),
        "size_bytes": path.stat().st_size,
    }


def build_inventory(paths: Iterable[StrPath], workers: int = 1) -> pd.DataFrame:
    """Validate every file (in ``workers`` processes) and return one summary row per file."""
    paths = sorted(map(Path, paths))
    if workers > 1 and len(paths) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            rows = list(
                pool.map(inventory_row, paths, chunksize=max(1, len(paths) // (8 * workers)))
            )
    else:
        rows = [inventory_row(p) for p in paths]
    return pd.DataFrame(rows, columns=INVENTORY_COLUMNS)


def check_unique_objectids(inventory: pd.DataFrame) -> None:
    """No objectid in two input files. An objectid encodes its file's field, filter and
    quadrant (checked per file), so only files holding the same ones can share objectids: their
    ids are compared, and a repeat names both files."""
    filled = inventory[inventory["n_objects"] > 0]
    for _, group in filled.groupby(["fieldid", "filterid", "rcid"]):
        seen: list[tuple[str, np.ndarray]] = []
        for path in group["path"]:
            ids = read_lightcurve_file(path, columns=["objectid"]).column("objectid").to_numpy()
            for other, other_ids in seen:
                common = np.intersect1d(ids, other_ids)
                if len(common):
                    raise InputDataError(
                        path,
                        f"{len(common)} objectids (e.g. {common[0]}) are also in {other}: the "
                        "same field, filter and quadrant twice (pass each input file once)",
                        column="objectid",
                    )
            seen.append((str(path), ids))


def check_band(inventory: pd.DataFrame, band: str) -> None:
    """Every non-empty file of the inventory holds the configured ``band``; else an error
    naming the first file that does not."""
    wrong = inventory[(inventory["n_objects"] > 0) & (inventory["filterid"] != FILTER_IDS[band])]
    if len(wrong):
        raise InputDataError(
            wrong["path"].iloc[0],
            f"filterid {wrong['filterid'].iloc[0]} but inputs.band is '{band}' "
            f"({len(wrong)} such files)",
            column="filterid",
        )


def inventory_summary(inventory: pd.DataFrame, band: str) -> dict:
    """The totals of an inventory: files, objects, epochs, empty files, bytes."""
    return {
        "n_files": len(inventory),
        "n_objects": int(inventory["n_objects"].sum()),
        "n_epochs": int(inventory["n_epochs"].sum()),
        "n_empty_files": int((inventory["n_objects"] == 0).sum()),
        "band": band,
        "size_bytes": int(inventory["size_bytes"].sum()),
    }
