"""ZTF light curves as IRSA's HATS catalogs hold them: one row per objectid (every filter in one
catalog), its epochs in one nested column ``lightcurve``.

Read: one partition (a Parquet file, or a directory of part files), only the columns the
pipeline needs (nested sub-columns included), the configured band only, optionally one
``_healpix_29`` range; validated like the per-field files (missing column, wrong type, nested
lengths that disagree, NaN positions, repeated objectid, unreadable file → one error naming the
file and column) and returned in the canonical flat layout of :mod:`qzo.io.ztf_files`.

Write: :func:`to_irsa_table` gives light curves IRSA's column names and types, for
:func:`qzo.io.hats_write.write_hats_collection` (the simulator's ``format: hats``, the fixtures).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from qzo.arrays.unique import repeated_values
from qzo.errors import InputDataError
from qzo.io import StrPath
from qzo.io.hats_input import HEALPIX_29
from qzo.io.ztf_files import canonical_table, check_column_type
from qzo.io.ztf_format import ALL_COLUMNS, FILTER_IDS, LIST_COLUMNS, SCALAR_COLUMNS
from qzo.sky.healpix import healpix_29, sort_by_position

#: The nested column and IRSA's types (DR23/DR24 ``ztf_dr2x_lc-hats``; each ``Npix=n/`` a
#: directory holding ``part0.snappy.parquet``).
NESTED = "lightcurve"
IRSA_SCALARS: dict[str, pa.DataType] = {
    "objectid": pa.int64(),
    "objra": pa.float32(),
    "objdec": pa.float32(),
    "filterid": pa.int8(),
    "fieldid": pa.int16(),
    "rcid": pa.int8(),
    "nepochs": pa.int64(),
}
IRSA_NESTED: dict[str, pa.DataType] = {
    "hmjd": pa.float64(),
    "mag": pa.float32(),
    "magerr": pa.float32(),
    "clrcoeff": pa.float32(),
    "catflags": pa.int32(),
}


# --- read ------------------------------------------------------------------------------------


def partition_files(path: StrPath) -> list[Path]:
    """A partition's Parquet files: the file itself, or a ``Npix=n/`` directory's part files."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix == ".parquet")
        if not files:
            raise InputDataError(path, "partition directory holds no Parquet file")
        return files
    if not path.exists():
        raise InputDataError(path, "partition file does not exist")
    return [path]


def _nested_layout(path: Path, schema: pa.Schema) -> tuple[str, dict[str, pa.DataType]]:
    """``"struct"`` (nested-pandas: struct of lists) or ``"list"`` (list of structs), and the
    sub-columns' element types; missing sub-columns and wrong types are errors."""
    idx = schema.get_field_index(NESTED)
    if idx < 0:
        raise InputDataError(path, "required nested column is missing", column=NESTED)
    typ = schema.field(idx).type
    if pa.types.is_struct(typ):
        layout = "struct"
        fields = {typ.field(i).name: typ.field(i).type for i in range(typ.num_fields)}
    elif (pa.types.is_list(typ) or pa.types.is_large_list(typ)) and pa.types.is_struct(
        typ.value_type
    ):
        layout = "list"
        inner = typ.value_type
        fields = {
            inner.field(i).name: pa.list_(inner.field(i).type) for i in range(inner.num_fields)
        }
    else:
        raise InputDataError(
            path, f"has type {typ}, expected a nested (struct or list of struct) column", NESTED
        )
    for name in LIST_COLUMNS:
        if name not in fields:
            raise InputDataError(path, "required nested column is missing", f"{NESTED}.{name}")
        check_column_type(path, name, fields[name])
    return layout, fields


def _check_scalars(path: Path, schema: pa.Schema) -> None:
    for name in SCALAR_COLUMNS:
        idx = schema.get_field_index(name)
        if idx < 0:
            raise InputDataError(path, "required column is missing", column=name)
        check_column_type(path, name, schema.field(idx).type)


def check_hats_schema(path: StrPath, schema: pa.Schema) -> None:
    """A light-curve catalog's schema holds every column the pipeline reads, in usable types
    (errors name ``path``, the file the schema came from, and the column)."""
    _check_scalars(Path(path), schema)
    _nested_layout(Path(path), schema)


def _range_filter(hp29_range: Sequence[int] | None) -> list[tuple] | None:
    if hp29_range is None:
        return None
    return [(HEALPIX_29, ">=", int(hp29_range[0])), (HEALPIX_29, "<", int(hp29_range[1]))]


def _read(path: Path, columns: list[str], filters: list[tuple] | None) -> pa.Table:
    try:
        return pq.read_table(path, columns=columns, filters=filters)
    except (pa.ArrowException, OSError) as exc:
        raise InputDataError(path, f"could not read the data ({exc})") from None


def _flatten_nested(path: Path, table: pa.Table, layout: str) -> pa.Table:
    """The nested sub-columns as top-level list columns (the per-field files' layout)."""
    if layout == "struct":
        return table  # read as top-level list columns already
    nested = table.column(NESTED).combine_chunks()
    if nested.null_count:
        raise InputDataError(path, f"{nested.null_count} null light curves", column=NESTED)
    offsets, values = nested.offsets, nested.flatten()
    table = table.drop_columns([NESTED])
    for name in LIST_COLUMNS:
        sub = pc.struct_field(values, name)
        table = table.append_column(name, pa.ListArray.from_arrays(offsets, sub))
    return table


def read_hats_lightcurves(
    path: StrPath, band: str, hp29_range: Sequence[int] | None = None
) -> tuple[pa.Table, dict[str, int]]:
    """One partition's light curves of ``band`` (within ``hp29_range``, half-open, if given),
    validated, in the canonical flat layout plus ``_healpix_29``; sorted by ``_healpix_29`` then
    objectid. Also returns the rows read and how many were of another band."""
    tables, rows, other = [], 0, 0
    band_id = FILTER_IDS[band]
    for file in partition_files(path):
        try:
            schema = pq.read_schema(file)
        except (pa.ArrowException, OSError) as exc:
            raise InputDataError(file, f"not a readable Parquet file ({exc})") from None
        _check_scalars(file, schema)
        layout, _ = _nested_layout(file, schema)
        has_hp29 = schema.get_field_index(HEALPIX_29) >= 0
        if hp29_range is not None and not has_hp29:
            raise InputDataError(file, "needed to cut a large partition", column=HEALPIX_29)
        nested = [f"{NESTED}.{n}" for n in LIST_COLUMNS] if layout == "struct" else [NESTED]
        scalars = list(SCALAR_COLUMNS) + ([HEALPIX_29] if has_hp29 else [])
        # One read, filtered in memory: Parquet filters on unsorted columns decode every row
        # anyway, and took longer.
        table = _read(file, scalars + nested, None)
        keep = np.ones(table.num_rows, dtype=bool)
        if hp29_range is not None:
            hp29 = table.column(HEALPIX_29).to_numpy()
            keep &= (hp29 >= hp29_range[0]) & (hp29 < hp29_range[1])
        in_range = int(keep.sum())
        keep &= table.column("filterid").to_numpy() == band_id
        rows += in_range
        other += in_range - int(keep.sum())
        if not keep.all():
            table = table.filter(pa.array(keep))
        table = _flatten_nested(file, table, layout)
        # The per-field reader's column order, so shard files are alike byte for byte.
        order = list(dict.fromkeys(["objectid", "nepochs", *ALL_COLUMNS]))
        table = canonical_table(file, table.select(order + scalars[len(SCALAR_COLUMNS) :]))
        tables.append(table)
    table = _combine(path, tables)
    return table, {"rows_read": rows, "rows_other_band": other}


def _band_counts(file: Path, band_id: int, filters: list[tuple] | None) -> tuple[int, int]:
    """Rows of a part file (within ``filters``) and how many are of another band."""
    bands = _read(file, ["filterid"], filters).column("filterid")
    return len(bands), len(bands) - int(pc.sum(pc.equal(bands, band_id)).as_py() or 0)


def count_rows(path: StrPath, band: str, hp29_range: Sequence[int]) -> dict[str, int]:
    """:func:`read_hats_lightcurves`' counts for ``hp29_range`` of a partition, from its
    ``filterid`` and ``_healpix_29`` columns alone."""
    counts = [
        _band_counts(file, FILTER_IDS[band], _range_filter(hp29_range))
        for file in partition_files(path)
    ]
    return {"rows_read": sum(c[0] for c in counts), "rows_other_band": sum(c[1] for c in counts)}


def _combine(path: StrPath, tables: list[pa.Table]) -> pa.Table:
    """The part files' tables as one, with ``_healpix_29`` (computed where a file lacks it),
    no objectid in two part files, sorted like the shards the pipeline writes."""
    done = []
    for table in tables:
        if HEALPIX_29 not in table.column_names:
            hp29 = healpix_29(table.column("objra").to_numpy(), table.column("objdec").to_numpy())
            table = table.append_column(HEALPIX_29, pa.array(hp29))
        done.append(table)
    table = pa.concat_tables(done) if len(done) > 1 else done[0]
    if len(done) > 1:
        ids = table.column("objectid").to_numpy()
        if len(repeated_values(ids)):
            raise InputDataError(path, "an objectid is in two part files", column="objectid")
    return sort_by_position(table)


# --- write -----------------------------------------------------------------------------------


def to_irsa_table(table: pa.Table) -> pa.Table:
    """Canonical flat light curves (+ ``_healpix_29``) in IRSA's HATS columns and types, the
    epochs in one nested column (struct of lists, as nested-pandas writes it)."""
    columns = {name: table.column(name).cast(t) for name, t in IRSA_SCALARS.items()}
    columns[HEALPIX_29] = table.column(HEALPIX_29).cast(pa.int64())
    nested = {name: table.column(name).cast(pa.list_(t)) for name, t in IRSA_NESTED.items()}
    columns[NESTED] = pa.StructArray.from_arrays(
        [nested[n].combine_chunks() for n in IRSA_NESTED], names=list(IRSA_NESTED)
    )
    return pa.table(columns)
