"""HEALPix (NESTED) shard arithmetic: order-29 indices, adaptive shard plans, shard lookup, margins.

A shard is a pixel (order k, index n). It covers the order-29 index range
``[n·4^(29−k), (n+1)·4^(29−k))``, so any position maps to its shard by one ``searchsorted``
on its ``_healpix_29`` value, whatever mix of orders the shard set has.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import ArrayLike

from qzo.sky.nested import ang2pix_nested, neighbours_nested

HEALPIX_29 = "_healpix_29"
MAX_ORDER = 29


def healpix_29(ra: ArrayLike, dec: ArrayLike) -> np.ndarray:
    """NESTED order-29 pixel index (int64) of positions in degrees."""
    return ang2pix_nested(MAX_ORDER, ra, dec)


def pixel_width_arcsec(order: int) -> float:
    """Mean pixel width at ``order`` (square root of the pixel area)."""
    return float(np.degrees(np.sqrt(4 * np.pi / (12 * 4**order))) * 3600)


def hats_dir(npix: ArrayLike) -> np.ndarray:
    """The HATS ``Dir=`` of a pixel: npix rounded down to a multiple of 10,000."""
    return (np.asarray(npix) // 10_000) * 10_000


def shard_relpath(order: int, npix: int) -> str:
    """The HATS path of a shard inside a catalog's ``dataset/`` (without suffix)."""
    return f"Norder={order}/Dir={int(hats_dir(npix))}/Npix={npix}"


@dataclass(frozen=True)
class ShardSet:
    """A set of non-overlapping shards, sorted by the order-29 ranges they cover."""

    order: np.ndarray
    npix: np.ndarray

    def __post_init__(self) -> None:
        start = self.start
        if len(start) and np.any(start[1:] < self.stop[:-1]):
            raise ValueError("shards overlap or are not sorted")

    @classmethod
    def from_frame(cls, df: pd.DataFrame) -> ShardSet:
        """From a table with ``Norder`` and ``Npix`` columns (``partition_info.csv``)."""
        order = df["Norder"].to_numpy(np.int64)
        npix = df["Npix"].to_numpy(np.int64)
        sort = np.argsort(npix << (2 * (MAX_ORDER - order)), kind="stable")
        return cls(order[sort], npix[sort])

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"Norder": self.order, "Dir": hats_dir(self.npix), "Npix": self.npix})

    def __len__(self) -> int:
        return len(self.order)

    @property
    def start(self) -> np.ndarray:
        return self.npix << (2 * (MAX_ORDER - self.order))

    @property
    def stop(self) -> np.ndarray:
        return (self.npix + 1) << (2 * (MAX_ORDER - self.order))

    @property
    def names(self) -> list[str]:
        return [shard_relpath(o, n) for o, n in zip(self.order, self.npix, strict=True)]

    def lookup(self, hp29: np.ndarray) -> np.ndarray:
        """Index of the shard holding each order-29 pixel; −1 where no shard covers it."""
        idx = np.searchsorted(self.start, hp29, side="right") - 1
        inside = (idx >= 0) & (hp29 < self.stop[np.maximum(idx, 0)])
        return np.where(inside, idx, -1)


def sort_by_position(table: pa.Table, id_column: str = "objectid") -> pa.Table:
    """Rows in the order of every shard file: ``_healpix_29``, then ``id_column`` (returned as
    they are when already in that order, as HATS writers leave them)."""
    hp29, ids = table.column(HEALPIX_29).to_numpy(), table.column(id_column).to_numpy()
    step = np.diff(hp29)
    if np.all((step > 0) | ((step == 0) & (np.diff(ids) > 0))):
        return table
    keys = [(HEALPIX_29, "ascending"), (id_column, "ascending")]
    return table.take(pc.sort_indices(table, sort_keys=keys))


def plan_shards(histogram: np.ndarray, max_rows: int, lowest_order: int = 0) -> ShardSet:
    """Adaptive shards from a NESTED histogram of row counts at order K (len 12·4^K).

    Top-down from ``lowest_order``: a pixel whose count is ≤ ``max_rows`` (or that reached order K)
    becomes a shard; a fuller one is split in four. Empty pixels get no shard. A pixel of order K
    holding more than ``max_rows`` rows stays one (over-full) shard.
    """
    top = round(np.log(len(histogram) / 12) / np.log(4))
    if 12 * 4**top != len(histogram):
        raise ValueError("histogram length is not 12·4^K")
    if not 0 <= lowest_order <= top:
        raise ValueError(f"lowest_order must be within [0, {top}]")
    orders, pixels = [], []
    open_mask = np.ones(12 * 4**lowest_order, dtype=bool)  # pixels not yet inside a shard
    for k in range(lowest_order, top + 1):
        counts = histogram.reshape(12 * 4**k, -1).sum(axis=1)
        leaf = open_mask & ((counts <= max_rows) | (k == top))
        chosen = np.flatnonzero(leaf & (counts > 0))
        orders.append(np.full(len(chosen), k))
        pixels.append(chosen)
        if k < top:
            open_mask = np.repeat(open_mask & ~leaf, 4)
    return ShardSet.from_frame(
        pd.DataFrame({"Norder": np.concatenate(orders), "Npix": np.concatenate(pixels)})
    )


def histogram(hp29: np.ndarray, order: int) -> np.ndarray:
    """Row counts per NESTED pixel at ``order``."""
    return np.bincount(hp29 >> (2 * (MAX_ORDER - order)), minlength=12 * 4**order)


def margin_order(margin_arcsec: float) -> int:
    """Finest order whose pixels are at least twice the margin wide (for the neighbour test)."""
    order = 0
    while order < MAX_ORDER and pixel_width_arcsec(order + 1) >= 2 * margin_arcsec:
        order += 1
    return order


def margin_targets(
    hp29: np.ndarray, own: np.ndarray, shards: ShardSet, margin_arcsec: float
) -> tuple[np.ndarray, np.ndarray]:
    """Rows that belong in other shards' margins: (row index, shard index) pairs.

    A row goes into the margin of every other shard that holds one of the 8 neighbours of its
    pixel at :func:`margin_order` (pixels at least 2× the margin wide). That is every shard with a
    point within the margin of the row, plus some a little farther (a superset, as margins may be).
    """
    k = margin_order(margin_arcsec)
    if k <= int(shards.order.max(initial=0)):
        raise ValueError(
            f"margin {margin_arcsec}″ needs pixels of order {k}, not finer than the shards' "
            f"order {int(shards.order.max())}: lower partition.highest_order or the margin"
        )
    cell = hp29 >> (2 * (MAX_ORDER - k))
    cells, inverse = np.unique(cell, return_inverse=True)
    neighbours = neighbours_nested(k, cells).T  # (n_cells, 8), −1 = none
    nb_shard = np.where(
        neighbours >= 0, shards.lookup(np.maximum(neighbours, 0) << (2 * (MAX_ORDER - k))), -1
    )
    cell_own = shards.lookup(cells << (2 * (MAX_ORDER - k)))
    cand = (nb_shard >= 0) & (nb_shard != cell_own[:, None])
    if not cand.any():
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    ci, col = np.nonzero(cand)
    pairs = np.unique(np.stack([ci, nb_shard[ci, col]], axis=1), axis=0)  # (cell, shard)
    # Expand cell → rows.
    row_order = np.argsort(inverse, kind="stable")
    row_offsets = np.searchsorted(inverse[row_order], np.arange(len(cells) + 1))
    counts = row_offsets[pairs[:, 0] + 1] - row_offsets[pairs[:, 0]]
    starts = np.repeat(row_offsets[pairs[:, 0]], counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    rows = row_order[starts + within]
    targets = np.repeat(pairs[:, 1], counts)
    keep = targets != own[rows]
    return rows[keep], targets[keep]
