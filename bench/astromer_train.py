"""Benchmark `astromer_train`: training throughput (light curves per second) of both stages,
with the paper's model size (2 blocks, 4×64 heads, dff 128, window 200) and each stage's default
batch size, on simulated light curves of 20–200 nights, on the Keras backend the process runs
(``KERAS_BACKEND``). GPU numbers come from the same code on a GPU machine (`make gpu-check`).
"""

from __future__ import annotations

import os
import time

import numpy as np

from qzo.config import StageSettings, default_config
from qzo.models.astromer import backend
from qzo.models.astromer.encoder import AstromerEncoder
from qzo.models.astromer.train import Classifier, finetune, pretrain
from qzo.models.astromer.windows import make_windows

from .common import workdir, write_result

N_TRAIN, N_VAL = 512, 64


def light_curves(n, rng):
    lengths = rng.integers(20, 201, n)
    t = np.concatenate([58000 + np.cumsum(rng.exponential(3.0, k)) for k in lengths])
    m = 18 + rng.normal(0, 0.2, len(t))
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return make_windows(offsets, t, m, single=True), rng.integers(0, 3, n)


def measure(n_train: int, n_val: int) -> dict:
    """Per stage: light curves per second in a second (steady) epoch, the first epoch's seconds
    (compilation included) and the stage's wall time, over two epochs."""
    work = workdir("astromer_train")
    rng = np.random.default_rng(0)
    train, y_train = light_curves(n_train, rng)
    val, y_val = light_curves(n_val, rng)
    results: dict = {}
    for stage in ("pretrain", "finetune"):
        encoder = AstromerEncoder().build_for_window()
        settings = StageSettings.from_config(
            {**default_config()["astromer"][stage], "epochs": 2, "patience": 10}
        )
        t0 = time.perf_counter()
        log = work / f"{stage}.csv"
        if stage == "pretrain":
            pretrain(encoder, train, val, settings, work / stage, log)
        else:
            finetune(Classifier(encoder), train, y_train, val, y_val, settings, work / stage, log)
        rows = log.read_text().splitlines()
        results[f"{stage}_lc_per_s"] = round(n_train / float(rows[-1].split(",")[-1]), 1)
        results[f"{stage}_first_epoch_s"] = float(rows[1].split(",")[-1])
        results[f"{stage}_wall_s"] = round(time.perf_counter() - t0, 1)
        results[f"{stage}_batch_size"] = settings.batch_size
    return results


def main(n_train: int = N_TRAIN, n_val: int = N_VAL) -> dict:
    results = measure(n_train, n_val)
    device = backend.device_name()
    return write_result(
        "astromer_train",
        "finetune light curves per second (steady epoch)",
        results["finetune_lc_per_s"],
        "light curves/s",
        backend=backend.name(),
        device=device if device != "CPU" else f"CPU ({os.cpu_count()} cores)",
        n_train=n_train,
        n_val=n_val,
        **results,
    )


if __name__ == "__main__":
    main()
