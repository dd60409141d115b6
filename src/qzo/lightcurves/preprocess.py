"""Light-curve cleaning, night averaging and per-object features, vectorised over a whole shard.

All steps work on flat epoch arrays plus offsets (see :mod:`qzo.arrays.segments`); there is no
Python loop over objects. Every dropped epoch and object is counted by reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from qzo.arrays.hashrng import hashed_uniform
from qzo.arrays.segments import (
    offsets_from_counts,
    segment_ids,
    segment_mean,
    segment_median,
    segment_sum,
)
from qzo.config.settings import PreprocessSettings
from qzo.io.ztf_files import LightCurves
from qzo.sky.healpix import HEALPIX_29, healpix_29

#: Drop reasons, in the order they are applied (an epoch or object counts under the first).
EPOCH_DROP_REASONS = ("catflags", "nan", "magerr_not_positive", "repeated_epoch")
OBJECT_DROP_REASONS = ("too_few_epochs", "too_few_nights")
_SNR_PER_MAGERR = 2.5 / np.log(10)  # 1.0857: SNR = 1.0857 / σ_mag


@dataclass
class Preprocessed:
    """Per-object features for kept objects, their ≤ max_nights night sequences, and the counts."""

    objects: pd.DataFrame
    offsets: np.ndarray
    mjd: np.ndarray
    mag: np.ndarray
    magerr: np.ndarray
    accounting: dict = field(default_factory=dict)


def night_index(hmjd: np.ndarray, boundary_utc_hours: float) -> np.ndarray:
    """Integer night of each epoch; nights change at ``boundary_utc_hours`` UTC.

    20 h UTC is local noon at Palomar (UTC−8), so one observing night is one index. The paper's
    rule, nights split at noon UTC (04:00 at Palomar), is ``boundary_utc_hours = 12``.
    """
    return np.floor(hmjd - boundary_utc_hours / 24.0).astype(np.int64)


def _sort_within_objects(ids: np.ndarray, t: np.ndarray) -> np.ndarray | None:
    """Permutation sorting epochs by time within each object, or None when already sorted."""
    if len(t) < 2:
        return None
    same = ids[1:] == ids[:-1]
    if not np.any(same & (t[1:] < t[:-1])):
        return None
    return np.lexsort((t, ids))


def _repeated_epochs(lc: LightCurves, keep: np.ndarray) -> np.ndarray:
    """Indices of kept epochs that repeat an earlier kept epoch of the same object at the same
    ``hmjd`` (the first, in file order, stays)."""
    idx = np.flatnonzero(keep)
    ids, t = segment_ids(lc.offsets)[idx], lc.hmjd[idx]
    order = _sort_within_objects(ids, t)  # stable: equal times keep their file order
    if order is not None:
        idx, ids, t = idx[order], ids[order], t[order]
    same = (ids[1:] == ids[:-1]) & (t[1:] == t[:-1])
    return idx[1:][same]


def preprocess(lc: LightCurves, settings: PreprocessSettings) -> Preprocessed:
    """Clean, night-average and summarise every light curve of ``lc``."""
    n_in = lc.n_objects
    n_raw = lc.n_epochs
    acc: dict[str, Any] = {
        "objects_in": int(n_in),
        "epochs_in": int(lc.offsets[-1]),
        "epochs_dropped": {},
        "objects_dropped": {},
    }

    # 1. Bad epochs: unusable photometry first, then non-finite values, errors that are not
    #    positive (no SNR, no weight), then repeats of an epoch already kept (same hmjd).
    flagged = lc.catflags >= settings.bad_catflags
    finite = np.isfinite(lc.hmjd) & np.isfinite(lc.mag) & np.isfinite(lc.magerr)
    bad_error = ~flagged & finite & ~(lc.magerr > 0)
    keep = ~flagged & finite & ~bad_error
    repeated = _repeated_epochs(lc, keep)
    keep[repeated] = False
    acc["epochs_dropped"]["catflags"] = int(flagged.sum())
    acc["epochs_dropped"]["nan"] = int((~flagged & ~finite).sum())
    acc["epochs_dropped"]["magerr_not_positive"] = int(bad_error.sum())
    acc["epochs_dropped"]["repeated_epoch"] = len(repeated)
    counts = segment_sum(keep, lc.offsets).astype(np.int64)

    # 2. Objects with too few clean epochs.
    enough = counts >= settings.min_epochs
    acc["objects_dropped"]["too_few_epochs"] = int((~enough).sum())
    keep &= np.repeat(enough, n_raw)
    counts = np.where(enough, counts, 0)
    obj = np.flatnonzero(enough)  # indices into lc of surviving objects
    ids = segment_ids(offsets_from_counts(counts[obj]))
    t, m, e = lc.hmjd[keep], lc.mag[keep].astype(np.float64), lc.magerr[keep].astype(np.float64)
    order = _sort_within_objects(ids, t)
    if order is not None:
        t, m, e = t[order], m[order], e[order]
    snr_mean = segment_mean(_SNR_PER_MAGERR / e, offsets_from_counts(counts[obj]))

    # 3. Night averaging: one group per (object, night).
    night = night_index(t, settings.night_boundary_utc_hours)
    new_group = np.ones(len(t), dtype=bool)
    new_group[1:] = (ids[1:] != ids[:-1]) | (night[1:] != night[:-1])
    group_start = np.flatnonzero(new_group)
    group_offsets = np.append(group_start, len(t))
    n_per_night = np.diff(group_offsets)
    night_t = segment_mean(t, group_offsets)
    night_m = segment_mean(m, group_offsets)
    if settings.magerr_combination == "quadrature":
        night_e = np.sqrt(segment_sum(e * e, group_offsets)) / n_per_night
    else:
        night_e = segment_mean(e, group_offsets)
    group_obj = ids[group_start]
    nights = np.bincount(group_obj, minlength=len(obj))

    # 4. Objects with too few nights.
    enough_nights = nights >= settings.min_nights
    acc["objects_dropped"]["too_few_nights"] = int((~enough_nights).sum())
    keep_group = enough_nights[group_obj]
    obj_kept = obj[enough_nights]
    night_t, night_m, night_e = night_t[keep_group], night_m[keep_group], night_e[keep_group]
    night_offsets = offsets_from_counts(nights[enough_nights])

    # 5. Features over nights.
    first, last = night_offsets[:-1], night_offsets[1:] - 1
    gaps = np.diff(night_t)
    same_obj = segment_ids(night_offsets)
    gaps = gaps[same_obj[1:] == same_obj[:-1]]
    gap_offsets = offsets_from_counts(np.diff(night_offsets) - 1)
    objects = pd.DataFrame(
        {
            "objectid": lc.objectid[obj_kept],
            "ra": lc.ra[obj_kept],
            "dec": lc.dec[obj_kept],
            "n_raw": n_raw[obj_kept].astype(np.int32),
            "n_clean": counts[obj_kept].astype(np.int32),
            "n_obs": np.diff(night_offsets).astype(np.int32),
            "mag_median": segment_median(night_m, night_offsets).astype(np.float32),
            "timespan": (night_t[last] - night_t[first]).astype(np.float32),
            "cadence_median": segment_median(gaps, gap_offsets).astype(np.float32),
            "snr_mean": snr_mean[enough_nights].astype(np.float32),
        }
    )

    # 6. At most max_nights nights per object for the transformer: a random subset (seeded by
    #    objectid, so a rerun is identical), kept in time order.
    sel, seq_offsets = sample_nights(
        objects["objectid"].to_numpy(), night_offsets, settings.max_nights
    )
    acc["objects_out"] = len(objects)
    acc["nights_out"] = int(night_offsets[-1])
    return Preprocessed(
        objects=objects,
        offsets=seq_offsets,
        mjd=night_t[sel],
        mag=night_m[sel].astype(np.float32),
        magerr=night_e[sel].astype(np.float32),
        accounting=acc,
    )


def sample_nights(
    objectid: np.ndarray, offsets: np.ndarray, max_nights: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of at most ``max_nights`` elements per segment, chosen at random (seeded by
    objectid and night position), in their original order; and the new offsets."""
    counts = np.diff(offsets)
    ids = segment_ids(offsets)
    position = np.arange(offsets[-1]) - offsets[:-1][ids]
    if not np.any(counts > max_nights):
        return np.arange(offsets[-1]), offsets.copy()
    key = hashed_uniform(objectid[ids], position)
    key[counts[ids] <= max_nights] = 0.0  # short light curves keep every night
    order = np.lexsort((key, ids))
    rank = np.empty_like(position)
    rank[order] = np.arange(len(order)) - offsets[:-1][ids[order]]
    chosen = np.flatnonzero(rank < max_nights)
    return chosen, offsets_from_counts(np.minimum(counts, max_nights))


def objects_table(result: Preprocessed) -> pa.Table:
    """A preprocessed shard as written: the per-object features, ``_healpix_29``, and the
    ≤ ``max_nights`` nights as ``mjd``, ``mag``, ``magerr`` lists."""
    table = pa.Table.from_pandas(result.objects, preserve_index=False)
    hp29 = healpix_29(result.objects["ra"].to_numpy(), result.objects["dec"].to_numpy())
    table = table.append_column(HEALPIX_29, pa.array(hp29))
    offsets = pa.array(result.offsets.astype(np.int32))
    for name, values in (("mjd", result.mjd), ("mag", result.mag), ("magerr", result.magerr)):
        table = table.append_column(name, pa.ListArray.from_arrays(offsets, pa.array(values)))
    return table


#: The per-shard accounting's totals and groups of counts by reason.
_ACCOUNTING_TOTALS = ("objects_in", "epochs_in", "objects_out", "nights_out", "duplicates_flagged")
_ACCOUNTING_GROUPS = ("input", "epochs_dropped", "objects_dropped", "crossmatch")


def sum_accounting(accounts: Iterable[dict]) -> dict:
    """The sum of shards' accounting (totals, and counts by reason); the books must close."""
    total: dict = {key: 0 for key in _ACCOUNTING_TOTALS}
    total.update({group: {} for group in _ACCOUNTING_GROUPS})
    for acc in accounts:
        for key in _ACCOUNTING_TOTALS:
            total[key] += acc[key]
        for group in _ACCOUNTING_GROUPS:
            for reason, n in acc[group].items():
                total[group][reason] = total[group].get(reason, 0) + n
    check_accounting(total)
    return total


def check_accounting(acc: dict) -> None:
    """Objects in = objects dropped (by reason) + objects out; raise if the books do not close."""
    dropped = sum(acc["objects_dropped"].values())
    if acc["objects_in"] != dropped + acc["objects_out"]:
        raise AssertionError(f"object accounting does not add up: {acc}")
