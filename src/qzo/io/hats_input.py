"""A HATS light-curve catalog as the pipeline's input: find it, and plan its shards from its
metadata alone (no light curve is read).

IRSA publishes ZTF DR23+ light curves as HATS collections (a primary catalog, a margin cache,
an index). The catalog's partitions become the workflow's shards as they are; a partition holding
more rows than ``partition.max_rows_per_shard`` is cut into its child pixels (ranges of
``_healpix_29``), down to ``partition.highest_order``.

The Snakefile calls :func:`hats_input_plan` while it is parsed, so the jobs are known without a
checkpoint: this module imports nothing heavy (pyarrow only when a ``_metadata`` file is read).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qzo.errors import InputDataError
from qzo.io import StrPath

MAX_ORDER = 29
HEALPIX_29 = "_healpix_29"
#: File names that mark a HATS catalog or collection directory.
CATALOG_PROPERTIES = ("hats.properties", "properties")
COLLECTION_PROPERTIES = "collection.properties"


def read_properties(path: StrPath) -> dict[str, str]:
    """A Java-style ``key=value`` properties file (HATS ``properties``), comments skipped."""
    props = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#!" or "=" not in line:
            continue
        key, _, value = line.partition("=")
        props[key.strip()] = value.strip()
    return props


def _catalog_properties(directory: Path) -> Path | None:
    for name in CATALOG_PROPERTIES:
        if (directory / name).is_file():
            return directory / name
    return None


def is_hats_input(spec: Any) -> bool:
    """Whether ``inputs.ztf_lightcurves`` names a HATS catalog or collection (one directory
    holding ``properties``, ``hats.properties`` or ``collection.properties``)."""
    if not isinstance(spec, str):
        return False
    directory = Path(spec)
    return directory.is_dir() and (
        (directory / COLLECTION_PROPERTIES).is_file() or _catalog_properties(directory) is not None
    )


@dataclass(frozen=True)
class HatsInput:
    """A light-curve catalog and the margin cache that goes with it (None if it has none)."""

    catalog: Path
    margin: Path | None
    margin_arcsec: float | None

    @classmethod
    def open(cls, path: StrPath) -> HatsInput:
        """Resolve a collection (its primary catalog and default margin) or a bare catalog."""
        root = Path(path)
        collection = root / COLLECTION_PROPERTIES
        if collection.is_file():
            props = read_properties(collection)
            primary = props.get("hats_primary_table_url")
            if not primary:
                raise InputDataError(collection, "no hats_primary_table_url: which catalog?")
            catalog = root / primary
            margin_name = props.get("default_margin") or _first(props.get("all_margins"))
            margin = root / margin_name if margin_name else None
        else:
            catalog, margin = root, None
        if _catalog_properties(catalog) is None:
            raise InputDataError(catalog, "not a HATS catalog: no properties file")
        threshold = None
        if margin is not None:
            margin_props = _catalog_properties(margin)
            if margin_props is None:
                raise InputDataError(margin, "the collection's margin has no properties file")
            value = read_properties(margin_props).get("hats_margin_threshold")
            if value is None:
                raise InputDataError(margin_props, "no hats_margin_threshold: not a margin cache")
            threshold = float(value)
        return cls(catalog, margin, threshold)


def _first(listing: str | None) -> str | None:
    if not listing:
        return None
    return listing.replace(",", " ").split()[0]


def npix_suffix(catalog: StrPath) -> str | None:
    """The catalog's ``hats_npix_suffix`` (``/``: each partition a directory; ``.parquet``: a
    file), or None when its properties do not say."""
    path = _catalog_properties(Path(catalog))
    return None if path is None else read_properties(path).get("hats_npix_suffix")


def partition_path(catalog: StrPath, order: int, npix: int, suffix: str | None = None) -> Path:
    """A partition of a HATS catalog: ``dataset/Norder=k/Dir=d/Npix=n.parquet``, or the
    directory ``Npix=n/`` of part files where the catalog has that instead (``suffix``, the
    catalog's ``hats_npix_suffix``, says which; looked up on disk when None)."""
    base = Path(catalog) / "dataset" / f"Norder={order}" / f"Dir={npix // 10_000 * 10_000}"
    as_file, as_dir = base / f"Npix={npix}.parquet", base / f"Npix={npix}"
    if suffix == "/":
        return as_dir
    if suffix is not None:
        return base / f"Npix={npix}{suffix}"
    return as_dir if as_dir.is_dir() and not as_file.exists() else as_file


def read_partition_info(catalog: StrPath) -> tuple[list[tuple[int, int]], dict | None]:
    """(order, pixel) of every partition, from ``partition_info.csv``, and the rows of each
    when the file has a ``num_rows`` column (IRSA's have; hats needs only Norder, Npix)."""
    path = Path(catalog) / "partition_info.csv"
    try:
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        raise InputDataError(path, "missing: a HATS catalog lists its partitions here") from None
    for column in ("Norder", "Npix"):
        if rows and column not in rows[0]:
            raise InputDataError(path, "required column is missing", column=column)
    column = "Norder/Npix"
    try:
        pixels = [(int(r["Norder"]), int(r["Npix"])) for r in rows]
        counts = None
        if rows and "num_rows" in rows[0]:
            column = "num_rows"
            counts = {p: int(r["num_rows"]) for p, r in zip(pixels, rows, strict=True)}
    except (TypeError, ValueError) as exc:
        raise InputDataError(path, f"not an integer ({exc})", column=column) from None
    if len(set(pixels)) != len(pixels):
        raise InputDataError(path, "a partition is listed twice", column="Npix")
    return sorted(pixels), counts


def partitions_and_rows(catalog: StrPath) -> tuple[list[tuple[int, int]], dict | None]:
    """:func:`read_partition_info`, with the row counts from ``dataset/_metadata`` where
    ``partition_info.csv`` has none (None if neither has them); the two must list the same
    partitions, and there must be one."""
    partitions, rows = read_partition_info(catalog)
    if not partitions:
        raise InputDataError(Path(catalog) / "partition_info.csv", "lists no partition")
    if rows is None:
        rows = read_partition_rows(catalog)
    if rows is not None and set(rows) != set(partitions):
        missing = sorted(set(partitions) ^ set(rows))[:3]
        raise InputDataError(
            Path(catalog) / "dataset" / "_metadata",
            f"the row counts and partition_info.csv disagree on partitions such as {missing}",
        )
    return partitions, rows


def read_partition_rows(catalog: StrPath) -> dict[tuple[int, int], int] | None:
    """Rows per partition from ``dataset/_metadata`` (its row groups name their files); None
    when the catalog has no ``_metadata``."""
    path = Path(catalog) / "dataset" / "_metadata"
    if not path.is_file():
        return None
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path)
    except Exception as exc:  # pyarrow raises several kinds for a damaged footer
        raise InputDataError(path, f"not a readable Parquet metadata file ({exc})") from None
    rows: dict[tuple[int, int], int] = {}
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        key = _pixel_of(group.column(0).file_path, path)
        rows[key] = rows.get(key, 0) + group.num_rows
    return rows


def _pixel_of(file_path: str, source: Path) -> tuple[int, int]:
    parts = dict(
        p.split("=", 1) for p in Path(file_path).with_suffix("").parts if p.startswith("N")
    )
    try:
        return int(parts["Norder"]), int(parts["Npix"])
    except (KeyError, ValueError):
        raise InputDataError(
            source, f"a row group's file {file_path!r} is not a partition"
        ) from None


def children_order(rows: int | None, order: int, max_rows: int, highest_order: int) -> int:
    """The order of the shards a partition of ``rows`` rows at ``order`` is cut into: the
    partition itself while it holds ≤ ``max_rows`` (or its size is unknown), else its children
    ``m`` orders finer with ``4^m ≥ rows / max_rows``, never finer than ``highest_order``."""
    if rows is None or rows <= max_rows or order >= highest_order:
        return order
    return min(highest_order, order + math.ceil(math.log(rows / max_rows, 4)))


def pixel_range(order: int, npix: int) -> tuple[int, int]:
    """The ``_healpix_29`` range [start, stop) a pixel covers."""
    shift = 2 * (MAX_ORDER - order)
    return npix << shift, (npix + 1) << shift


def hats_input_plan(
    spec: StrPath, settings: dict[str, Any], region: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The partition plan of a HATS input (config section ``partition`` as ``settings``): the
    shards in ``_healpix_29`` order, each with the input partition it is read from and, for a
    partition cut into children, its ``_healpix_29`` range. With a ``region``
    (``inputs.region``), only the partitions that overlap it (this imports ``lsdb``)."""
    source = HatsInput.open(spec)
    partitions, rows = partitions_and_rows(source.catalog)
    selected = partitions
    if region is not None:
        from qzo.sky.region import region_partitions  # lsdb: 3 s, only with a region

        overlap = region_partitions(source.catalog, region)
        selected = [p for p in partitions if p in overlap]
        if not selected:
            raise InputDataError(source.catalog, f"no partition overlaps inputs.region {region}")
    entries: list[tuple] = []
    suffix = npix_suffix(source.catalog)
    margin_suffix = None if source.margin is None else npix_suffix(source.margin)
    for order, npix in selected:
        n = rows[(order, npix)] if rows is not None else None
        k = children_order(n, order, settings["max_rows_per_shard"], settings["highest_order"])
        relpath = str(
            partition_path(source.catalog, order, npix, suffix).relative_to(source.catalog)
        )
        margin_relpath = None
        if source.margin is not None:
            margin_path = partition_path(source.margin, order, npix, margin_suffix)
            margin_relpath = str(margin_path.relative_to(source.margin))
        for child in range(npix << 2 * (k - order), (npix + 1) << 2 * (k - order)):
            span = pixel_range(k, child)
            cut = None if k == order else list(span)
            source_of = (relpath, margin_relpath, [order, npix], None if cut else n, cut)
            entries.append((span[0], k, child, *source_of))
    entries.sort(key=lambda e: e[0])
    return {
        "input": "hats",
        "catalog": str(source.catalog),
        "margin_catalog": None if source.margin is None else str(source.margin),
        "margin_threshold_arcsec": source.margin_arcsec,
        "n_rows": None if rows is None else sum(rows[p] for p in selected),
        "region": region,
        "settings": dict(settings),
        "shards": [
            f"Norder={k}/Dir={pix // 10_000 * 10_000}/Npix={pix}" for _, k, pix, *_ in entries
        ],
        "shard_rows": [e[6] for e in entries],
        "sources": [
            {
                "partition": e[3],
                "margin_partition": e[4],
                "partition_pixel": e[5],
                "hp29_range": e[7],
            }
            for e in entries
        ],
        "partitions": [[o, n] for o, n in partitions],
        "batches": [],
        "batch_shards": [],
    }


def uses_margin_cache(plan: dict[str, Any]) -> bool:
    """Whether the shards' margins come from the catalog's margin cache: it has one at least
    ``partition.margin_arcsec`` wide (else they come from the bordering partitions)."""
    threshold = plan["margin_threshold_arcsec"]
    return threshold is not None and threshold >= float(plan["settings"]["margin_arcsec"])


def margin_cache_file(plan: dict[str, Any], index: int) -> Path | None:
    """The margin cache's partition for shard ``index`` of ``plan``, where the margins come from
    the cache and it has that partition (a cache may leave out empty ones)."""
    relpath = plan["sources"][index]["margin_partition"]
    if not uses_margin_cache(plan) or relpath is None:
        return None
    path = Path(plan["margin_catalog"]) / relpath
    return path if path.exists() else None


def plan_input_files(plan: dict[str, Any], index: int) -> list[str]:
    """The input files a shard job reads: its partition and, where the margins come from the
    margin cache, the cache's partition of the same pixel."""
    margin = margin_cache_file(plan, index)
    partition = Path(plan["catalog"]) / plan["sources"][index]["partition"]
    return [str(partition)] + ([str(margin)] if margin is not None else [])
