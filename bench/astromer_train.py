"""Benchmark `astromer_train`: training throughput (light curves per second) of both stages on
the CPU, with the paper's model size (2 blocks, 4×64 heads, dff 128, window 200), on simulated
light curves of 20–200 nights. GPU numbers come from the same code on a GPU machine.
"""

from __future__ import annotations

import os
import time

import numpy as np

from qzo.config import StageSettings, default_config
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


def main() -> dict:
    import tensorflow as tf

    work = workdir("astromer_train")
    rng = np.random.default_rng(0)
    train, y_train = light_curves(N_TRAIN, rng)
    val, y_val = light_curves(N_VAL, rng)
    results = {}
    for stage in ("pretrain", "finetune"):
        encoder = AstromerEncoder().build_for_window()
        settings = StageSettings.from_config(
            {**default_config()["astromer"]["pretrain"], "epochs": 2, "patience": 10}
        )
        t0 = time.perf_counter()
        if stage == "pretrain":
            pretrain(encoder, train, val, settings, work / stage, work / f"{stage}.csv")
        else:
            finetune(
                Classifier(encoder),
                train,
                y_train,
                val,
                y_val,
                settings,
                work / stage,
                work / f"{stage}.csv",
            )
        # Epoch 1 includes graph tracing; epoch 2 is the steady state.
        rows = (work / f"{stage}.csv").read_text().splitlines()
        seconds = float(rows[-1].split(",")[-1])
        results[stage] = N_TRAIN / seconds
        results[f"{stage}_first_epoch_s"] = float(rows[1].split(",")[-1])
        results[f"{stage}_wall_s"] = round(time.perf_counter() - t0, 1)
    device = "GPU" if tf.config.list_physical_devices("GPU") else f"CPU ({os.cpu_count()} cores)"
    return write_result(
        "astromer_train",
        "finetune light curves per second (steady epoch)",
        results["finetune"],
        "light curves/s",
        device=device,
        pretrain_lc_per_s=round(results["pretrain"], 1),
        n_train=N_TRAIN,
        batch_size=32,
        **{k: v for k, v in results.items() if k not in ("pretrain", "finetune")},
    )


if __name__ == "__main__":
    main()
