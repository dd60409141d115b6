"""Partition light-curve files into HEALPix shards (HATS layout) with margins, map/reduce style.

plan   : one pass over the objects' positions (many files in parallel) → adaptive shards balanced
         by row count, files grouped into batches, and which shards each batch touches;
split  : per batch, every row to its shard and copies to neighbouring shards' margins (pieces);
reduce : per shard, its pieces concatenated and sorted → one shard file and one margin file.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

from qzo.arrays.unique import sorted_unique
from qzo.config.settings import PartitionSettings
from qzo.errors import InputDataError
from qzo.io import StrPath
from qzo.io.atomic import write_parquet_atomic
from qzo.io.catalog_files import read_catalog_file
from qzo.io.ztf_files import read_lightcurve_file
from qzo.sky.healpix import (
    HEALPIX_29,
    MAX_ORDER,
    ShardSet,
    healpix_29,
    margin_targets,
    plan_shards,
    sort_by_position,
)
from qzo.sky.nested import neighbours_nested

log = logging.getLogger(__name__)


# --- plan --------------------------------------------------------------------------------------


def _positions_summary(args: tuple[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Occupied pixels at ``order`` and their row counts for one file."""
    path, order = args
    table = read_lightcurve_file(path, columns=["objra", "objdec"])
    hp29 = healpix_29(table.column("objra").to_numpy(), table.column("objdec").to_numpy())
    return np.unique(hp29 >> (2 * (MAX_ORDER - order)), return_counts=True)


def plan_partition(
    files: Sequence[StrPath], settings: PartitionSettings, workers: int = 1
) -> tuple[ShardSet, dict]:
    """Shards and batches for ``files``. Returns (ShardSet, plan dict)."""
    k = settings.highest_order
    args = [(str(f), k) for f in files]
    if workers > 1 and len(args) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            summaries = list(pool.map(_positions_summary, args, chunksize=8))
    else:
        summaries = [_positions_summary(a) for a in args]
    hist = np.zeros(12 * 4**k, dtype=np.int64)
    for pix, counts in summaries:
        np.add.at(hist, pix, counts)
    shards = plan_shards(hist, settings.max_rows_per_shard, settings.lowest_order)
    shift = 2 * (MAX_ORDER - k)

    batches, batch_shards = [], []
    for b in range(0, len(files), settings.files_per_batch):
        pix = sorted_unique(
            np.concatenate([s[0] for s in summaries[b : b + settings.files_per_batch]])
        )
        # Margin rows of a pixel can only go to shards holding it or one of its 8 neighbours.
        nb = neighbours_nested(k, pix).ravel()
        touched = sorted_unique(np.concatenate([pix, nb[nb >= 0]]))
        idx = shards.lookup(touched << shift)
        batches.append([str(f) for f in files[b : b + settings.files_per_batch]])
        batch_shards.append(sorted({int(i) for i in idx if i >= 0}))
    plan = {
        "n_rows": int(hist.sum()),
        "settings": settings.__dict__,
        "shards": shards.names,
        "shard_rows": [int(c) for c in _rows_per_shard(hist, k, shards)],
        "batches": batches,
        "batch_shards": batch_shards,
    }
    return shards, plan


def _rows_per_shard(hist: np.ndarray, order: int, shards: ShardSet) -> np.ndarray:
    pix = np.flatnonzero(hist)
    idx = shards.lookup(pix << (2 * (MAX_ORDER - order)))
    return np.bincount(idx, weights=hist[pix], minlength=len(shards)).astype(np.int64)


def load_plan(path: StrPath) -> dict:
    """A partition plan written by the ``partition_plan`` stage."""
    return json.loads(Path(path).read_text())


def shards_of_plan(plan: dict) -> ShardSet:
    """The plan's shards as a :class:`ShardSet`."""
    parts = [dict(p.split("=") for p in name.split("/")) for name in plan["shards"]]
    return ShardSet.from_frame(pd.DataFrame(parts).astype(int))


# --- split ------------------------------------------------------------------------------------


def piece_name(shard_index: int, file_index: int) -> str:
    """Pieces are temporary Arrow IPC (Feather) files: much faster to write than Parquet."""
    return f"shard{shard_index:07d}_file{file_index:05d}.arrow"


def split_table(
    table: pa.Table,
    ra_col: str,
    dec_col: str,
    shards: ShardSet,
    margin_arcsec: float,
    out_dir: Path,
    file_index: int,
    source: StrPath,
    outside: str = "error",
    pieces: dict[str, Counter] | None = None,
) -> dict:
    """Write ``table``'s rows as pieces per shard (``main/``) and margin copies (``margin/``).

    Rows outside every shard raise (``outside="error"``) or are dropped and counted
    (``outside="drop"``, for external catalogs that extend beyond the ZTF footprint); they may
    still enter the margin of a shard they border. ``pieces`` (``main`` and ``margin``
    counters), when given, tallies the rows written per shard index.
    """
    ra, dec = table.column(ra_col).to_numpy(), table.column(dec_col).to_numpy()
    hp29 = healpix_29(ra, dec)
    table = table.append_column(HEALPIX_29, pa.array(hp29))
    own = shards.lookup(hp29)
    n_out = int((own < 0).sum())
    if n_out and outside == "error":
        raise InputDataError(
            source,
            f"{n_out} rows fall outside every shard of the partition "
            "plan (was the plan made from other files?)",
            column=ra_col,
        )
    inside = np.flatnonzero(own >= 0)
    rows, targets = margin_targets(hp29, own, shards, margin_arcsec)
    for kind, take, shard_idx in (("main", inside, own[inside]), ("margin", rows, targets)):
        _write_pieces(table.take(pa.array(take)), shard_idx, out_dir / kind, file_index)
        if pieces is not None:
            pieces[kind].update(dict(zip(*np.unique(shard_idx, return_counts=True), strict=True)))
    return {"rows_in": table.num_rows, "rows_outside_shards": n_out, "margin_rows": len(rows)}


def split_batch(
    files: Sequence[StrPath], shards: ShardSet, margin_arcsec: float, out_dir: StrPath
) -> dict:
    """Split a batch of ZTF light-curve files (validated on reading) into shard pieces; return
    the row totals and, under ``pieces``, the rows written per shard index (``main`` and
    ``margin``), which the shard jobs check what they read against."""
    out = Path(out_dir)
    totals: dict[str, Any] = {}
    pieces: dict[str, Counter] = {"main": Counter(), "margin": Counter()}
    for fi, path in enumerate(files):
        counts = split_table(
            read_lightcurve_file(path),
            "objra",
            "objdec",
            shards,
            margin_arcsec,
            out,
            fi,
            path,
            pieces=pieces,
        )
        for k, v in counts.items():
            totals[k] = totals.get(k, 0) + v
    (out / "main").mkdir(parents=True, exist_ok=True)
    (out / "margin").mkdir(parents=True, exist_ok=True)
    totals["pieces"] = {kind: {str(k): int(v) for k, v in c.items()} for kind, c in pieces.items()}
    return totals


#: The record of what a batch holds, written last into its folder by ``partition_split``.
BATCH_COUNTS = "counts.json"


def _write_pieces(table: pa.Table, shard_idx: np.ndarray, out: Path, file_index: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    if table.num_rows == 0:
        return
    order = np.argsort(shard_idx, kind="stable")
    bounds = np.flatnonzero(np.diff(shard_idx[order])) + 1
    for chunk in np.split(order, bounds):
        sid = int(shard_idx[chunk[0]])
        feather.write_feather(
            table.take(pa.array(chunk)),
            out / piece_name(sid, file_index),
            compression="uncompressed",
        )


# --- reduce ------------------------------------------------------------------------------------


def reduce_shard(
    shard_index: int,
    batch_dirs: Sequence[StrPath],
    shard_path: StrPath,
    margin_path: StrPath,
    id_column: str = "objectid",
    schema: pa.Schema | None = None,
) -> dict:
    """Concatenate one shard's pieces (sorted by ``_healpix_29``, then id) into its two files."""
    result = {}
    for kind, path in (("main", shard_path), ("margin", margin_path)):
        pieces = sorted(
            p for d in batch_dirs for p in Path(d, kind).glob(f"shard{shard_index:07d}_*")
        )
        tables = [_read_piece(p) for p in pieces]
        if tables:
            table = pa.concat_tables(tables)
        else:
            table = schema.empty_table() if schema is not None else _empty_like(batch_dirs)
        table = sort_by_position(table, id_column)
        write_shard_file(table, path)
        result[f"{kind}_rows"] = table.num_rows
    return result


def write_shard_file(table: pa.Table, path: StrPath) -> None:
    """A shard (or margin) file, sorted by the caller, as every shard file is written."""
    write_parquet_atomic(table, path, use_dictionary=_DICTIONARY_COLUMNS & set(table.column_names))


def reduce_planned_shard(
    plan: dict, shard: str, batch_dirs: Sequence[StrPath], shard_path: StrPath, margin_path: StrPath
) -> dict:
    """:func:`reduce_shard` for a shard of ``plan``. Its rows must be the plan's, and its rows
    and margin rows what the batches' ``counts.json`` say they hold for it: a batch folder left
    incomplete (or altered) is named rather than reduced into a short shard."""
    index = plan["shards"].index(shard)
    expected = {"main": 0, "margin": 0}
    for d in batch_dirs:
        path = Path(d) / BATCH_COUNTS
        try:
            pieces = json.loads(path.read_text())["pieces"]
        except (OSError, ValueError, KeyError) as exc:
            raise InputDataError(
                path, f"no valid batch record: rerun its partition_split ({exc})"
            ) from None
        for kind in expected:
            expected[kind] += pieces[kind].get(str(index), 0)
    counts = reduce_shard(index, batch_dirs, shard_path, margin_path)
    if counts["main_rows"] != plan["shard_rows"][index]:
        raise AssertionError(
            f"shard {shard}: {counts['main_rows']} rows, plan says {plan['shard_rows'][index]}"
        )
    for kind in expected:
        if counts[f"{kind}_rows"] != expected[kind]:
            raise AssertionError(
                f"shard {shard}: {counts[f'{kind}_rows']} {kind} rows in the pieces of "
                f"{[str(d) for d in batch_dirs]}, their counts.json say {expected[kind]}"
            )
    return counts


def partition_catalog_files(
    files: Sequence[StrPath],
    ra: str,
    dec: str,
    columns: Mapping[str, str],
    shards: ShardSet,
    margin_arcsec: float,
    main_dir: StrPath,
    margin_dir: StrPath,
    work_dir: StrPath,
) -> dict:
    """An external catalog's files cut onto ``shards``: one Parquet per shard under
    ``main_dir/dataset`` and ``margin_dir/dataset`` (HATS layout; metadata not written), pieces
    in ``work_dir`` on the way (removed). Rows outside every shard are dropped and counted.
    ``columns`` are the columns the pipeline reads, each ``number`` or ``text``.

    Returns the row accounting: rows_in, rows_outside_shards, margin_rows, and the numeric
    columns that hold no value in any row (``columns_without_values``, logged too)."""
    pieces = Path(work_dir)
    totals: dict[str, Any] = {"rows_in": 0, "rows_outside_shards": 0, "margin_rows": 0}
    numeric = [c for c, kind in columns.items() if kind == "number"]
    values = dict.fromkeys(numeric, 0)
    schema = None
    for fi, path in enumerate(files):
        table = read_catalog_file(path, ra, dec, columns)
        if schema is not None and not table.schema.equals(schema.remove(len(schema) - 1)):
            raise InputDataError(path, "its columns differ from the catalog's first file's")
        schema = schema or table.schema.append(pa.field(HEALPIX_29, pa.int64()))
        for col in numeric:
            data = table.column(col).to_numpy(zero_copy_only=False).astype(float)
            values[col] += int(np.isfinite(data).sum())
        counts = split_table(table, ra, dec, shards, margin_arcsec, pieces, fi, path, "drop")
        for k, v in counts.items():
            totals[k] += v
    if schema is None:
        raise ValueError("no catalog file to partition")
    totals["columns_without_values"] = sorted(c for c, n in values.items() if n == 0)
    if totals["rows_in"] and totals["columns_without_values"]:
        log.warning(
            "%s: no row has a value in %s",
            [str(f) for f in files],
            totals["columns_without_values"],
        )
    for i, shard in enumerate(shards.names):
        reduce_shard(
            i,
            [pieces],
            Path(main_dir) / "dataset" / f"{shard}.parquet",
            Path(margin_dir) / "dataset" / f"{shard}.parquet",
            id_column=HEALPIX_29,
            schema=schema,
        )
    shutil.rmtree(pieces, ignore_errors=True)
    return totals


#: Low-cardinality columns worth dictionary encoding (the rest are floats and ids).
_DICTIONARY_COLUMNS = {"filterid", "fieldid", "rcid"}


def _read_piece(path: StrPath) -> pa.Table:
    try:
        return feather.read_table(path, memory_map=True)
    except (pa.ArrowException, OSError) as exc:
        raise InputDataError(path, f"not a readable shard piece ({exc})") from None


def _empty_like(batch_dirs: Sequence[StrPath]) -> pa.Table:
    for d in batch_dirs:
        for p in Path(d).rglob("*.arrow"):
            return _read_piece(p).schema.empty_table()
    raise ValueError("no pieces in any batch directory: nothing to infer the schema from")
