"""SDSS cleaning, SDSS × ZTF matching and the grouped, stratified split, on constructed rows."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from qzo.errors import InputDataError
from qzo.simulate.sky import offset_positions
from qzo.training.training_set import (
    check_redshift_training,
    check_training_set,
    clean_specobj,
    grouped_split,
    match_longest,
    resolve_matches,
    stacking_folds,
)


def test_clean_specobj_counts_every_drop():
    sdss = pd.DataFrame(
        {
            "SPECOBJID": [5, 1, 2, 3, 4, 6],
            "PLUG_RA": [10.0, 10.0, 11.0, 12.0, 13.0, 14.0],
            "PLUG_DEC": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
            "CLASS": ["QSO", "QSO  ", "GALAXY", "STAR", "QSO", "UNKNOWN"],
            "Z": [1.0, 1.0, 0.1, 0.0, 2.0, 0.0],
            "ZWARNING": [0, 16, 0, 4, 0, 0],
        }
    )
    ok, drops = clean_specobj(sdss)
    assert drops == {"zwarning": 1, "unknown_class": 1, "positional_repeat": 1}
    assert list(ok["SPECOBJID"]) == [1, 2, 4]  # the repeat keeps the smaller SPECOBJID
    assert list(ok["CLASS"]) == ["QSO", "GALAXY", "QSO"]
    assert len(ok) + sum(drops.values()) == len(sdss)


def test_match_takes_the_longest_light_curve_within_one_arcsec():
    ra, dec = offset_positions(
        np.full(4, 150.0),
        np.full(4, 20.0),
        np.array([0.0, 0.4, 0.8, 1.5]),
        np.radians([0, 90, 180, 270]),
    )
    ztf = pd.DataFrame(
        {"objectid": [11, 12, 13, 14], "ra": ra, "dec": dec, "n_obs": [30, 80, 80, 500]}
    )
    sdss = pd.DataFrame(
        {
            "SPECOBJID": [1, 2],
            "PLUG_RA": [150.0, 300.0],
            "PLUG_DEC": [20.0, 0.0],
            "CLASS": ["QSO", "STAR"],
            "Z": [1.2, 0.0],
        }
    )
    m = match_longest(sdss, ztf, 1.0)
    assert list(m["SPECOBJID"]) == [1]
    assert m["objectid"].iloc[0] == 12  # 14 is longer but 1.5″ away; 12 beats 13 on the tie


def test_resolve_keeps_one_match_per_sdss_object_and_per_light_curve():
    m = pd.DataFrame(
        {
            "SPECOBJID": [1, 1, 2, 3, 4, 5],
            "objectid": [20, 21, 21, 30, 30, 30],
            "n_obs": [50, 60, 60, 40, 40, 40],
            "CLASS": ["QSO", "QSO", "QSO", "QSO", "STAR", "QSO"],
            "Z": [1.0] * 6,
        }
    )
    r, counts = resolve_matches(m)
    assert list(r["SPECOBJID"]) == [1, 3] and list(r["objectid"]) == [21, 30]
    # Spectra 2, 4 and 5 lose their light curve to 1 and 3; 4 (a STAR) disagrees with 3.
    assert counts == {
        "spectra_matched": 5,
        "light_curve_taken_by_another_spectrum": 3,
        "class_conflicts": 1,
    }


def labelled_sky_with_repeats(seed: int, n: int, every: int, sep_arcsec: float):
    """n labelled sources, and a repeat of every ``every``-th one ``sep_arcsec`` away with the
    same label: (ra, dec, labels, rows of the repeated sources); repeats follow row n."""
    rng = np.random.default_rng(seed)
    ra, dec = rng.uniform(100, 140, n), rng.uniform(0, 30, n)
    rep = np.arange(0, n, every)
    r2, d2 = offset_positions(ra[rep], dec[rep], np.full(len(rep), sep_arcsec), np.zeros(len(rep)))
    labels = rng.integers(0, 3, n)
    return (
        np.concatenate([ra, r2]),
        np.concatenate([dec, d2]),
        np.concatenate([labels, labels[rep]]),
        rep,
    )


def test_split_is_grouped_and_stratified():
    n = 6000
    ra, dec, labels, rep = labelled_sky_with_repeats(0, n, every=10, sep_arcsec=0.1)
    split = grouped_split(ra, dec, labels)
    assert (split[rep] == split[n:]).all()  # a source and its repeat share a split
    for c in range(3):
        frac = pd.Series(split[labels == c]).value_counts(normalize=True)
        assert abs(frac["train"] - 0.8) < 0.03 and abs(frac["test"] - 0.1) < 0.02
    assert np.array_equal(split, grouped_split(ra, dec, labels))  # deterministic


def test_groups_of_mixed_class_go_to_one_split_and_fold_by_majority():
    """200 close pairs whose two spectra disagree on the class, and 100 triples (two votes to
    one): every group lands in one split and one fold, stratified by its majority class."""
    n = 3000
    ra, dec, labels, rep = labelled_sky_with_repeats(2, n, every=15, sep_arcsec=0.3)
    labels[n:] = (labels[rep] + 1) % 3  # every repeat disagrees with its source
    r3, d3 = offset_positions(ra[rep[:100]], dec[rep[:100]], np.full(100, 0.3), np.full(100, 90.0))
    ra, dec = np.concatenate([ra, r3]), np.concatenate([dec, d3])
    labels = np.concatenate([labels, labels[n : n + 100]])  # third spectrum: the repeat's class
    split = grouped_split(ra, dec, labels)
    fold = stacking_folds(ra, dec, labels, split, 3)
    assert (split[rep] == split[n : n + len(rep)]).all()
    assert (split[rep[:100]] == split[n + len(rep) :]).all()
    assert (fold[rep] == fold[n : n + len(rep)]).all()
    assert np.array_equal(split[: n // 2], grouped_split(ra, dec, labels)[: n // 2])

    from qzo.training.training_set import majority_label

    group = np.array([0, 0, 0, 1, 1, 2])
    votes = np.array([2, 1, 2, 0, 1, 1])
    np.testing.assert_array_equal(majority_label(group, votes), [2, 0, 1])  # tie → smaller


def test_stacking_folds_cover_the_train_split_only_and_keep_groups_together():
    n = 3000
    ra, dec, labels, rep = labelled_sky_with_repeats(1, n, every=7, sep_arcsec=0.2)
    split = grouped_split(ra, dec, labels)
    fold = stacking_folds(ra, dec, labels, split, 4)
    assert ((fold >= 0) == (split == "train")).all()
    assert (fold[rep] == fold[n:]).all()
    for c in range(3):
        counts = np.bincount(fold[(labels == c) & (fold >= 0)], minlength=4)
        assert counts.min() > 0.2 * counts.sum()  # ~ a quarter each


def test_the_training_set_must_hold_every_class_in_every_split_and_fold():
    labels = np.array([0, 1, 2] * 10)
    split = np.array(["train"] * 24 + ["val"] * 3 + ["test"] * 3)
    fold = np.where(split == "train", np.arange(30) % 2, -1)
    check_training_set(labels, split, fold, 2, "sdss.parquet")  # fine as it is
    no_val_qso = labels.copy()
    no_val_qso[25] = 0  # the val split: GALAXY, QSO, STAR → GALAXY, GALAXY, STAR
    with pytest.raises(InputDataError) as err:
        check_training_set(no_val_qso, split, fold, 2, "sdss.parquet")
    assert err.value.column == "CLASS" and "no QSO spectrum in the val split" in str(err.value)
    with pytest.raises(InputDataError, match="8 train-split GALAXY spectra cannot fill 9"):
        check_training_set(labels, split, np.where(split == "train", 0, -1), 9, "sdss.parquet")


def test_redshift_training_needs_a_qso_with_wise_in_train_and_val(tmp_path):
    shard = "Norder=0/Dir=0/Npix=1"
    path = tmp_path / "features" / f"{shard}.parquet"
    path.parent.mkdir(parents=True)
    pd.DataFrame({"objectid": [1, 2, 3, 4], "wise_sep_arcsec": [0.2, np.nan, 0.3, 0.1]}).to_parquet(
        path
    )
    table = pa.table(
        {
            "objectid": [1, 2, 3, 4],
            "label": np.array([1, 1, 0, 1], np.int8),
            "split": ["train", "val", "val", "test"],
            "shard": [shard] * 4,
        }
    )
    template = str(tmp_path / "features" / "{shard}.parquet")
    with pytest.raises(InputDataError, match="no val-split QSO of the training set has an AllWISE"):
        check_redshift_training(table, template, "allwise.parquet")
    table = table.set_column(2, "split", pa.array(["train", "train", "val", "val"]))
    check_redshift_training(table, template, "allwise.parquet")  # QSO 4 (val) has a match
