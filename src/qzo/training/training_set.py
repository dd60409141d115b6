"""The spectroscopic training set: SDSS specObj × ZTF, cleaned, matched and split.

SDSS rows with ZWARNING ∉ {0, 16} and exact positional repeats are dropped (counted); each SDSS
object takes the ZTF light curve with the most nights within the radius (ties: smaller
objectid); the split is stratified by class and grouped by sky position (friends of friends),
so repeat spectra of one source never straddle train and test.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import ArrayLike
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from qzo.arrays.hashrng import hashed_uniform
from qzo.errors import InputDataError
from qzo.io import StrPath
from qzo.sky.healpix import healpix_29
from qzo.sky.zones import neighbour_pairs

SDSS_CLASSES = {"GALAXY": 0, "QSO": 1, "STAR": 2}
GOOD_ZWARNING = (0, 16)


def clean_specobj(sdss: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Good redshifts only, one row per plug position; returns (rows, drops by reason)."""
    cls = sdss["CLASS"].astype(str).str.strip().str.upper()
    bad_z = ~sdss["ZWARNING"].isin(GOOD_ZWARNING)
    unknown = ~cls.isin(list(SDSS_CLASSES))
    ok = sdss[~bad_z & ~unknown].assign(CLASS=cls[~bad_z & ~unknown])
    ok = ok.sort_values("SPECOBJID", kind="stable")
    repeat = ok.duplicated(["PLUG_RA", "PLUG_DEC"], keep="first")
    drops = {
        "zwarning": int(bad_z.sum()),
        "unknown_class": int((unknown & ~bad_z).sum()),
        "positional_repeat": int(repeat.sum()),
    }
    return ok[~repeat].reset_index(drop=True), drops


def match_longest(sdss: pd.DataFrame, ztf: pd.DataFrame, radius_arcsec: float) -> pd.DataFrame:
    """For each SDSS row, the ZTF object within the radius with most nights (ties: smaller id).

    ``ztf`` needs objectid, ra, dec, n_obs. Returns one row per matched SDSS row: SPECOBJID,
    CLASS, Z, objectid, n_obs.
    """
    n = len(sdss)
    ra = np.concatenate([sdss["PLUG_RA"].to_numpy(), ztf["ra"].to_numpy()])
    dec = np.concatenate([sdss["PLUG_DEC"].to_numpy(), ztf["dec"].to_numpy()])
    pairs = neighbour_pairs(ra, dec, radius_arcsec)
    pairs = pairs[(pairs[:, 0] < n) & (pairs[:, 1] >= n)]
    s, z = pairs[:, 0], pairs[:, 1] - n
    n_obs = ztf["n_obs"].to_numpy()[z]
    oid = ztf["objectid"].to_numpy()[z]
    order = np.lexsort((oid, -n_obs, s))
    s, z = s[order], z[order]
    first = np.concatenate([[True], s[1:] != s[:-1]]) if len(s) else np.array([], bool)
    out = sdss.iloc[s[first]][["SPECOBJID", "CLASS", "Z"]].reset_index(drop=True)
    out["objectid"] = ztf["objectid"].to_numpy()[z[first]]
    out["n_obs"] = ztf["n_obs"].to_numpy()[z[first]]
    return out


def resolve_matches(matches: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """One ZTF light curve per SDSS object across shards (an SDSS object in a margin can be
    matched in two shards): the longest wins, then the smaller objectid; and one SDSS label per
    ZTF object (several spectra can match one light curve): the first SPECOBJID.

    Also returns the counts of what that drops: ``spectra_matched`` (spectra with a light curve
    within the radius), ``light_curve_taken_by_another_spectrum`` (spectra dropped because their
    light curve went to a spectrum with a smaller SPECOBJID) and, of those,
    ``class_conflicts`` (the two spectra disagree on CLASS)."""
    m = matches.sort_values(["SPECOBJID", "n_obs", "objectid"], ascending=[True, False, True])
    m = m.drop_duplicates("SPECOBJID", keep="first")
    taken = m.duplicated("objectid", keep="first")
    kept = m[~taken].reset_index(drop=True)
    winner = kept.set_index("objectid")["CLASS"]
    lost = m[taken]
    conflicts = int((lost["CLASS"].to_numpy() != winner.loc[lost["objectid"]].to_numpy()).sum())
    counts = {
        "spectra_matched": len(m),
        "light_curve_taken_by_another_spectrum": int(taken.sum()),
        "class_conflicts": conflicts,
    }
    return kept, counts


def majority_label(group: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per group (``group``: 0 … n_groups − 1 per row) its most frequent label; ties go to the
    smallest label."""
    classes, code = np.unique(labels, return_inverse=True)
    counts = np.zeros((group.max() + 1 if len(group) else 0, len(classes)), dtype=np.int64)
    np.add.at(counts, (group, code), 1)
    return classes[np.argmax(counts, axis=1)]


def grouped_assignment(
    ra: ArrayLike,
    dec: ArrayLike,
    labels: ArrayLike,
    fractions: ArrayLike,
    group_radius_arcsec: float = 2.0,
    seed: int = 0,
) -> np.ndarray:
    """A part index (0 … len(fractions) − 1) per row, in proportions ``fractions`` within each
    class.

    Rows closer than ``group_radius_arcsec`` (chained: friends of friends) form one group, which
    goes to one part, so repeat spectra of a source never straddle two parts, even when they
    disagree on the class: a group is stratified by its majority class (ties: the smallest
    label). Groups are ordered by a hash of their position (seeded), so the assignment is random
    but reproducible.
    """
    labels = np.asarray(labels)
    n = len(labels)
    pairs = neighbour_pairs(ra, dec, group_radius_arcsec)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    n_groups, group = connected_components(graph, directed=False)
    anchor = np.full(n_groups, np.iinfo(np.int64).max)
    np.minimum.at(anchor, group, healpix_29(ra, dec))
    key = hashed_uniform(anchor[group], seed)
    stratum = majority_label(group, labels)[group]
    part = np.zeros(n, dtype=np.int64)
    bounds = np.cumsum(fractions) / np.sum(fractions)
    for c in np.unique(stratum):
        rows = np.flatnonzero(stratum == c)
        order = rows[np.lexsort((group[rows], key[rows]))]
        # A group's rows sit together in this order: its first position decides its part.
        position = (np.arange(len(order)) + 0.5) / len(order)
        _, first, inverse = np.unique(group[order], return_index=True, return_inverse=True)
        cut = position[first][inverse]
        part[order] = np.minimum(np.searchsorted(bounds, cut, side="right"), len(bounds) - 1)
    return part


def grouped_split(
    ra: ArrayLike,
    dec: ArrayLike,
    labels: ArrayLike,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    group_radius_arcsec: float = 2.0,
    seed: int = 0,
) -> np.ndarray:
    """'train' / 'val' / 'test' per row (:func:`grouped_assignment` with three parts)."""
    part = grouped_assignment(ra, dec, labels, fractions, group_radius_arcsec, seed)
    return np.array(["train", "val", "test"])[part]


def stacking_folds(
    ra: ArrayLike,
    dec: ArrayLike,
    labels: ArrayLike,
    split: ArrayLike,
    n_folds: int,
    group_radius_arcsec: float = 2.0,
    seed: int = 0,
) -> np.ndarray:
    """Cross-fitting fold (0 … n_folds − 1) of each train-split row, −1 elsewhere: grouped and
    stratified like the split, with a seed of its own."""
    fold = np.full(len(np.asarray(labels)), -1, dtype=np.int64)
    train = np.flatnonzero(np.asarray(split) == "train")
    if len(train):
        fold[train] = grouped_assignment(
            np.asarray(ra)[train],
            np.asarray(dec)[train],
            np.asarray(labels)[train],
            np.ones(n_folds),
            group_radius_arcsec,
            seed + 1,
        )
    return fold


def check_training_set(
    labels: np.ndarray, split: np.ndarray, fold: np.ndarray, n_folds: int, source: StrPath
) -> None:
    """The training set can train every model before any GPU hour is spent: each class in each
    split (every model learns, early-stops and is scored on every class) and in each
    cross-fitting fold (each fold's classifier is fine-tuned without it, the rest must still
    hold every class). Otherwise one error naming ``source`` (the SDSS catalog) and the class
    that is short."""
    names = {code: name for name, code in SDSS_CLASSES.items()}
    for part in ("train", "val", "test"):
        counts = np.bincount(labels[split == part], minlength=len(names))
        short = [names[c] for c in names if counts[c] == 0]
        if short:
            raise InputDataError(
                source,
                f"no {'/'.join(short)} spectrum in the {part} split of the training set "
                f"({dict(zip(names.values(), counts.tolist(), strict=True))}): every class "
                "must be in every split",
                column="CLASS",
            )
    train = split == "train"
    for c, name in names.items():
        n = int((labels[train] == c).sum())
        folds = np.unique(fold[train & (labels == c)])
        if len(folds) < n_folds:
            raise InputDataError(
                source,
                f"{n} train-split {name} spectra cannot fill {n_folds} cross-fitting folds "
                f"(labels.stacking_folds): lower it or add spectra",
                column="CLASS",
            )


#: The preprocessed columns each training row carries.
SEQUENCE_COLUMNS = ["objectid", "ra", "dec", "n_obs", "mag_median", "mjd", "mag", "magerr"]


def build_training_set(
    shards: Sequence[str],
    sdss_shards: Sequence[StrPath],
    sdss_margins: Sequence[StrPath],
    object_shards: Sequence[StrPath],
    settings: dict,
    sdss_catalog: StrPath | Sequence[StrPath] = "the SDSS catalog",
) -> tuple[pa.Table, dict]:
    """SDSS × ZTF training set over every shard, and its summary (drops, matches, classes).

    For each of ``shards``: its SDSS spectra, their margin and its preprocessed objects (files in
    the same order); the light curves (≤ 200 nights) come along. ``settings`` is the config
    section ``labels``; ``sdss_catalog`` (the configured SDSS files) is what errors name when
    the set cannot train the models (:func:`check_training_set`).
    """
    per_shard = [pd.read_parquet(p) for p in sdss_shards]
    all_sdss = pd.concat(per_shard, ignore_index=True)
    clean, drops = clean_specobj(all_sdss)
    source = _first(sdss_catalog)
    matches, n_objects = [], 0
    for shard, shard_sdss, g_path, z_path in zip(
        shards, per_shard, sdss_margins, object_shards, strict=True
    ):
        # The shard's spectra and its margin's (read once above; the margin for its ids only).
        ids = np.concatenate(
            [
                shard_sdss["SPECOBJID"].to_numpy(),
                pd.read_parquet(g_path, columns=["SPECOBJID"])["SPECOBJID"],
            ]
        )
        sdss = clean[clean["SPECOBJID"].isin(ids)]
        ztf = pd.read_parquet(z_path, columns=["objectid", "ra", "dec", "n_obs"])
        n_objects += len(ztf)
        if len(sdss) and len(ztf):
            found = match_longest(sdss, ztf, settings["radius_arcsec"])
            matches.append(found.assign(shard=shard, path=str(z_path)))
    matched, resolved = (
        resolve_matches(pd.concat(matches, ignore_index=True)) if matches else (None, {})
    )
    if n_objects == 0:
        raise InputDataError(
            object_shards[0] if object_shards else source,
            "no light curve survived preprocessing in any shard: nothing to train on "
            "(results/preprocess/summary.json counts the drops)",
        )
    if matched is None or matched.empty:
        raise InputDataError(
            source,
            f"no spectrum of its {len(clean)} clean ones matches one of the {n_objects} "
            f"preprocessed ZTF light curves within {settings['radius_arcsec']}″",
            column="CLASS",
        )
    rows = []
    for path, group in matched.groupby("path"):
        table = pq.read_table(path, columns=SEQUENCE_COLUMNS)
        ids = table.column("objectid").to_numpy()
        take = np.flatnonzero(np.isin(ids, group["objectid"].to_numpy()))
        rows.append(table.take(pa.array(take)))
    seqs = pa.concat_tables(rows)
    info = matched.set_index("objectid").loc[seqs.column("objectid").to_numpy()]
    labels = info["CLASS"].map(SDSS_CLASSES).to_numpy()
    split = grouped_split(
        seqs.column("ra").to_numpy(),
        seqs.column("dec").to_numpy(),
        labels,
        settings["split_fractions"],
        settings["group_radius_arcsec"],
        settings["seed"],
    )
    fold = stacking_folds(
        seqs.column("ra").to_numpy(),
        seqs.column("dec").to_numpy(),
        labels,
        split,
        settings["stacking_folds"],
        settings["group_radius_arcsec"],
        settings["seed"],
    )
    check_training_set(labels, split, fold, settings["stacking_folds"], source)
    out = seqs.append_column("specobjid", pa.array(info["SPECOBJID"].to_numpy()))
    out = out.append_column("class", pa.array(info["CLASS"].to_numpy().astype(str)))
    out = out.append_column("label", pa.array(labels.astype(np.int8)))
    out = out.append_column("z", pa.array(info["Z"].to_numpy().astype(np.float64)))
    out = out.append_column("split", pa.array(split))
    out = out.append_column("fold", pa.array(fold.astype(np.int8)))
    out = out.append_column("shard", pa.array(info["shard"].to_numpy().astype(str)))
    order = np.argsort(out.column("objectid").to_numpy(), kind="stable")
    out = out.take(pa.array(order))
    frame = out.select(["class", "split"]).to_pandas()
    summary = {
        "sdss_rows": len(all_sdss),
        "sdss_dropped": drops,
        "sdss_clean": len(clean),
        "matched": out.num_rows,
        "unmatched": len(clean) - resolved["spectra_matched"],
        "light_curve_taken_by_another_spectrum": resolved["light_curve_taken_by_another_spectrum"],
        "class_conflicts": resolved["class_conflicts"],
        "by_split_and_class": {
            s: g["class"].value_counts().to_dict() for s, g in frame.groupby("split")
        },
    }
    return out, summary


def _first(paths: StrPath | Sequence[StrPath]) -> StrPath:
    """A configured path (a glob or a list of them): the one an error names."""
    return paths if isinstance(paths, str | os.PathLike) else paths[0]


def read_features(
    feature_path: str, labels: pd.DataFrame, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """The feature rows (``columns``, or all) of the training objects, from the feature tables
    of the shards they lie on (``labels['shard']``; ``feature_path`` is the tables' path with a
    ``{shard}`` field). Every object must have its row."""
    wanted = pd.Index(labels["objectid"])
    frames = []
    for shard in sorted(labels["shard"].unique()):
        table = pd.read_parquet(
            feature_path.format(shard=shard), columns=None if columns is None else list(columns)
        )
        frames.append(table[table["objectid"].isin(wanted)])
    features = pd.concat(frames, ignore_index=True)
    missing = wanted.difference(features["objectid"])
    if len(missing):
        raise AssertionError(f"{len(missing)} training objects have no feature row")
    return features


def check_redshift_training(
    training_set: pa.Table, feature_path: str, source: StrPath | Sequence[StrPath]
) -> None:
    """The photometric-redshift regressor can be trained and early-stopped: the train and the
    val split each hold a QSO with an AllWISE counterpart (from the shards' feature tables,
    ``feature_path`` with a ``{shard}`` field); otherwise an error naming ``source`` (the
    AllWISE catalog)."""
    frame = training_set.select(["objectid", "label", "split", "shard"]).to_pandas()
    qso = frame[frame["label"] == SDSS_CLASSES["QSO"]]
    features = read_features(feature_path, qso, ["objectid", "wise_sep_arcsec"])
    with_wise = features.loc[features["wise_sep_arcsec"].notna(), "objectid"]
    for part in ("train", "val"):
        if not qso[qso["split"] == part]["objectid"].isin(with_wise).any():
            raise InputDataError(
                _first(source),
                f"no {part}-split QSO of the training set has an AllWISE counterpart: the "
                "redshift regressor cannot be trained and early-stopped",
                column="ra",
            )
