"""External catalogs that come partitioned on the sky, read where they lie (no re-partitioning):
HATS catalogs and collections (as ``hats-import`` writes them, Gaia/PS1/AllWISE with margin
caches) and HEALPix hive directories such as IRSA's AllWISE (``healpix_k5=N/``, no margin).

Light imports only: the Snakefile asks :func:`is_partitioned_catalog` while it is parsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from qzo.errors import InputDataError
from qzo.io import StrPath
from qzo.io.hats_input import (
    HatsInput,
    is_hats_input,
    npix_suffix,
    partition_path,
    partitions_and_rows,
    pixel_range,
)

_HIVE = re.compile(r"^healpix_k(\d+)=(\d+)$")


def _hive_partitions(root: Path) -> list[tuple[int, int, Path]]:
    found = []
    if root.is_dir():
        for entry in root.iterdir():
            match = _HIVE.match(entry.name)
            if match and entry.is_dir():
                found.append((int(match[1]), int(match[2]), entry))
    return found


def is_partitioned_catalog(spec: object) -> bool:
    """Whether a ``catalogs.<name>.path`` names a HATS catalog/collection or a HEALPix hive
    directory (read in place) rather than files to re-partition."""
    if not isinstance(spec, str):
        return False
    return is_hats_input(spec) or bool(_hive_partitions(Path(spec)))


@dataclass(frozen=True)
class PartitionedCatalog:
    """A partitioned catalog (``kind``: ``hats`` or ``healpix hive``): its partitions (order,
    pixel, path), sorted by sky position, and the margin cache's partition paths where it has
    one, ``margin_arcsec`` wide."""

    kind: str
    root: Path
    partitions: list[tuple[int, int, Path]]
    margins: dict[tuple[int, int], Path]
    margin_arcsec: float | None
    n_rows: int | None

    @classmethod
    def open(cls, path: StrPath) -> PartitionedCatalog:
        root = Path(path)
        if is_hats_input(str(root)):
            source = HatsInput.open(root)
            pixels, rows = partitions_and_rows(source.catalog)
            suffix = npix_suffix(source.catalog)
            parts = [(o, n, partition_path(source.catalog, o, n, suffix)) for o, n in pixels]
            margins = {}
            if source.margin is not None:
                margin_suffix = npix_suffix(source.margin)
                margins = {
                    (o, n): partition_path(source.margin, o, n, margin_suffix) for o, n in pixels
                }
            n_rows = None if rows is None else sum(rows.values())
            return cls("hats", root, _by_position(parts), margins, source.margin_arcsec, n_rows)
        parts = _hive_partitions(root)
        if not parts:
            raise InputDataError(root, "neither a HATS catalog nor healpix_kK=N/ directories")
        return cls("healpix hive", root, _by_position(parts), {}, None, None)

    def overlapping(self, order: int, npix: int) -> list[tuple[int, int, Path]]:
        """The partitions that overlap pixel (order, npix): those holding it or inside it."""
        start, stop = pixel_range(order, npix)
        return [
            p
            for p in self.partitions
            if pixel_range(p[0], p[1])[0] < stop and pixel_range(p[0], p[1])[1] > start
        ]


def _by_position(parts: list[tuple[int, int, Path]]) -> list[tuple[int, int, Path]]:
    return sorted(parts, key=lambda p: pixel_range(p[0], p[1])[0])
