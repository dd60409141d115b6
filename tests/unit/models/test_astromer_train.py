"""Both training stages on small synthetic problems: masks, learning, early stop, resume."""

import csv

import keras
import numpy as np
import pytest

pytest.importorskip("tensorflow")

from qzo.config import StageSettings, default_config
from qzo.models.astromer import train as train_module
from qzo.models.astromer.encoder import AstromerEncoder
from qzo.models.astromer.train import (
    Classifier,
    Reconstructor,
    finetune,
    finetune_learning_rate,
    full_batch,
    plateau_step,
    pretrain,
    pretraining_batch,
)
from qzo.models.astromer.windows import make_windows

SMALL = {"num_layers": 1, "d_model": 32, "num_heads": 2, "dff": 16, "window": 40}


def stage(**settings) -> StageSettings:
    """A training stage: the schema's fine-tuning defaults with ``settings``."""
    return StageSettings.from_config({**default_config()["astromer"]["finetune"], **settings})


def toy(n, rng):
    """Class 0: constant with noise; class 1: a slow sinusoid (2 mag). 20–40 epochs each."""
    lengths = rng.integers(20, 41, n)
    labels = rng.integers(0, 2, n)
    t, m = [], []
    for k, length in enumerate(lengths):
        tt = np.sort(rng.uniform(0, 600, length))
        amp = 2.0 * labels[k]
        t.append(tt)
        m.append(18 + amp * np.sin(tt / 40 + rng.uniform(0, 6)) + rng.normal(0, 0.03, length))
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return make_windows(offsets, np.concatenate(t), np.concatenate(m), 40, single=True), labels


def test_pretraining_masks_follow_the_fractions_and_are_redrawn():
    win, _ = toy(400, np.random.default_rng(0))
    a_inputs, target, weight = pretraining_batch(win, np.random.default_rng(1))
    _, _, weight_b = pretraining_batch(win, np.random.default_rng(2))
    real = win.mask[..., 0] == 0
    chosen = weight[..., 0] > 0
    assert not chosen[~real].any()
    assert chosen[real].mean() == pytest.approx(0.5, abs=0.02)
    hidden = a_inputs["mask"][..., 0] > win.mask[..., 0]
    assert hidden[chosen].mean() == pytest.approx(0.6, abs=0.03)
    assert (a_inputs["mags"][..., 0][hidden] == 0).all()
    np.testing.assert_array_equal(target, win.mags)  # targets are the true magnitudes
    assert (weight != weight_b).any()  # a new draw gives a new mask


def test_pretraining_hides_the_errors_of_hidden_epochs():
    win, _ = toy(50, np.random.default_rng(0))
    win.errors = np.where(win.mask == 0, np.float32(0.05), np.float32(0))
    inputs, _, _ = pretraining_batch(win, np.random.default_rng(1))
    hidden = inputs["mask"][..., 0] > win.mask[..., 0]
    assert hidden.any()
    assert (inputs["errors"][..., 0][hidden] == 0).all()
    visible = inputs["mask"][..., 0] == 0
    assert (inputs["errors"][..., 0][visible] == np.float32(0.05)).all()


def test_a_short_batch_filled_to_full_size_keeps_its_loss_in_both_stages():
    """An epoch's last, short batch is filled with rows of weight 0 (so every step has one
    shape): the real rows are unchanged and both stages' losses are those of the real rows."""
    win, labels = toy(5, np.random.default_rng(6))
    encoder = AstromerEncoder(**SMALL).build_for_window()
    batch = pretraining_batch(win, np.random.default_rng(1))
    full = full_batch(batch, 8)
    assert [len(part) for part in (full[1], full[2])] == [8, 8]
    assert all(len(v) == 8 for v in full[0].values())
    for name, values in batch[0].items():
        np.testing.assert_array_equal(full[0][name][:5], values)
    assert (full[2][5:] == 0).all() and full[2][:5].sum() == batch[2].sum() > 0
    assert all(a is b for a, b in zip(full_batch(full, 8), full, strict=True))  # no copy
    reconstructor = Reconstructor(encoder)
    short, filled = (
        float(reconstructor.training_loss(b[1], reconstructor(b[0]), b[2])) for b in (batch, full)
    )
    assert filled == pytest.approx(short, rel=1e-6)
    classifier = Classifier(encoder, n_classes=2, hidden=(8,))
    batch = (win.inputs(), labels)  # no weights: each light curve weighs one
    full = full_batch(batch, 8)
    assert list(full[2]) == [1] * 5 + [0] * 3
    assert list(full_batch((win.inputs(), labels), 5)[2]) == [1] * 5
    plain = float(classifier.training_loss(labels, classifier(batch[0]), None))
    filled = float(classifier.training_loss(full[1], classifier(full[0]), full[2]))
    assert filled == pytest.approx(plain, rel=1e-6)


def test_finetune_learns_early_stops_logs_and_traces_its_step_once(tmp_path, monkeypatch):
    keras.utils.set_random_seed(3)  # reproducible initial weights
    rng = np.random.default_rng(3)
    train, y_train = toy(300, rng)
    val, y_val = toy(100, rng)
    model = Classifier(AstromerEncoder(**SMALL).build_for_window(), n_classes=2, hidden=(32, 16))
    settings = stage(epochs=12, batch_size=32, patience=4, seed=1)
    traces = []
    step = Classifier.train_step  # called only while the backend traces (compiles) the step

    def counted_step(self, data):
        traces.append(1)
        return step(self, data)

    monkeypatch.setattr(Classifier, "train_step", counted_step)
    summary = finetune(
        model, train, y_train, val, y_val, settings, tmp_path / "ckpt", tmp_path / "log.csv"
    )
    # Every variable exists before the first step and every batch has one size (300 rows in
    # batches of 32: the last is filled), so the step compiles once in all the epochs.
    assert len(traces) == 1
    rows = list(csv.DictReader(open(tmp_path / "log.csv")))
    assert len(rows) == summary["epochs_run"] >= 3
    assert [float(r["learning_rate"]) for r in rows[:4]] == [1e-3, 1e-3, 1e-3, 5e-4]
    assert summary["best_val_loss"] < 0.6  # chance is ln 2 = 0.69
    pred = np.argmax(
        np.asarray(model({"times": val.times, "mags": val.mags, "mask": val.mask})), axis=1
    )
    assert (pred == y_val).mean() > 0.7
    assert finetune_learning_rate(9) == 1e-4
    assert [finetune_learning_rate(e, 2e-3) for e in (3, 4, 8, 9)] == [2e-3, 1e-3, 1e-3, 2e-4]


def test_min_delta_ends_a_stage_whose_loss_only_crawls(tmp_path):
    """With ``min_delta`` 0.9 no epoch after the first improves enough (by 90 %): patience 2
    ends the stage after three epochs; the best weights are still the best epoch's."""
    rng = np.random.default_rng(5)
    train, y_train = toy(120, rng)
    val, y_val = toy(40, rng)
    model = Classifier(AstromerEncoder(**SMALL).build_for_window(), n_classes=2, hidden=(16,))
    settings = stage(epochs=20, batch_size=32, patience=2, min_delta=0.9, seed=2)
    summary = finetune(
        model, train, y_train, val, y_val, settings, tmp_path / "ckpt", tmp_path / "log.csv"
    )
    rows = list(csv.DictReader(open(tmp_path / "log.csv")))
    assert summary["epochs_run"] == len(rows) == 3 and summary["stopped_early"]
    assert summary["best_val_loss"] == pytest.approx(min(float(r["val_loss"]) for r in rows))


def test_plateau_schedule_steps_down_on_plateaus_only():
    """One step per two epochs without a better validation loss, to the last rate; an
    improvement keeps the rate reached."""
    assert [plateau_step(0, wait) for wait in (0, 1, 2, 3)] == [0, 0, 1, 0]
    assert [plateau_step(1, wait) for wait in (0, 2, 4)] == [1, 2, 2]
    assert plateau_step(2, 6) == 2


def test_plateau_schedule_in_training(tmp_path):
    """With no improvement after the first epoch (min_delta 0.9), the plateau schedule takes the
    paper's three rates two epochs apart and patience 5 ends the stage at the lowest."""
    rng = np.random.default_rng(5)
    train, y_train = toy(120, rng)
    val, y_val = toy(40, rng)
    model = Classifier(AstromerEncoder(**SMALL).build_for_window(), n_classes=2, hidden=(16,))
    settings = stage(epochs=20, patience=5, min_delta=0.9, schedule="plateau", seed=2)
    summary = finetune(
        model, train, y_train, val, y_val, settings, tmp_path / "ckpt", tmp_path / "log.csv"
    )
    rows = list(csv.DictReader(open(tmp_path / "log.csv")))
    rates = [float(r["learning_rate"]) for r in rows]
    assert rates == [1e-3, 1e-3, 1e-3, 5e-4, 5e-4, 1e-4]
    assert summary["epochs_run"] == 6 and summary["stopped_early"]


class Killed(Exception):
    """Stands for the job being killed."""


@pytest.mark.parametrize(
    ("schedule", "min_delta", "killed_after"), [("paper", 0.0, 2), ("plateau", 0.9, 3)]
)
def test_training_resumes_after_a_kill(tmp_path, monkeypatch, schedule, min_delta, killed_after):
    """Killed right after a checkpoint and rerun with the same settings, training goes on from
    that checkpoint (weights, optimizer, dropout seeds, patience, the plateau schedule's step;
    the epochs already logged are kept, not rerun) and ends exactly where an uninterrupted run
    ends."""
    rng = np.random.default_rng(4)
    train, y_train = toy(120, rng)
    val, y_val = toy(40, rng)
    settings = stage(
        epochs=5, batch_size=32, patience=100, min_delta=min_delta, schedule=schedule, seed=2
    )

    def run(ckpt):
        keras.utils.set_random_seed(7)  # the same initial weights in every run
        model = Classifier(AstromerEncoder(**SMALL).build_for_window(), n_classes=2, hidden=(16,))
        summary = finetune(model, train, y_train, val, y_val, settings, ckpt, ckpt / "log.csv")
        return summary, model.get_weights()

    save = train_module.save_checkpoint
    saved = []

    def save_then_die(*args):
        save(*args)
        saved.append(1)
        if len(saved) == killed_after:
            raise Killed

    monkeypatch.setattr(train_module, "save_checkpoint", save_then_die)
    with pytest.raises(Killed):
        run(tmp_path / "killed")
    monkeypatch.setattr(train_module, "save_checkpoint", save)
    before = list(csv.DictReader(open(tmp_path / "killed" / "log.csv")))
    assert len(before) == killed_after
    resumed, resumed_weights = run(tmp_path / "killed")
    whole, whole_weights = run(tmp_path / "whole")
    logs = [list(csv.DictReader(open(tmp_path / n / "log.csv"))) for n in ("killed", "whole")]
    assert logs[0][:killed_after] == before  # resumed: the logged epochs (their times) kept
    assert [int(r["epoch"]) for r in logs[0]] == [1, 2, 3, 4, 5]
    assert [r["learning_rate"] for r in logs[0]] == [r["learning_rate"] for r in logs[1]]
    if schedule == "plateau":
        assert logs[0][killed_after]["learning_rate"] == "0.0005"  # the step restored
    assert resumed == whole and resumed["epochs_run"] == 5
    for got, expected in zip(resumed_weights, whole_weights, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_pretraining_reduces_the_reconstruction_error(tmp_path):
    rng = np.random.default_rng(5)
    train, _ = toy(200, rng)
    val, _ = toy(60, rng)
    encoder = AstromerEncoder(**SMALL).build_for_window()
    summary = pretrain(
        encoder,
        train,
        val,
        stage(epochs=6, batch_size=32, patience=6),
        tmp_path / "ckpt",
        tmp_path / "log.csv",
    )
    rows = list(csv.DictReader(open(tmp_path / "log.csv")))
    assert float(rows[-1]["val_loss"]) < float(rows[0]["val_loss"])
    assert summary["epochs_run"] == 6
