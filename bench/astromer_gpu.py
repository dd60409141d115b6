"""Benchmark `astromer_gpu`: inference throughput of the full light-curve classifier (the
paper's encoder: 2 blocks, 4×64 heads, dff 128; head 1024-512-256; window 200) on light curves
of 200 nights, through the pipeline's own path (``choose_precision`` + ``classify``: XLA,
mixed float16 where it agrees with float32 to 1e-3), on the Keras backend the process runs
(``KERAS_BACKEND``). Records the backend and device. Target (issue 4): ≥ 50,000 light curves/s
on one H100/H200 (789M in under 4.5 GPU-hours).

On a machine without a GPU it measures the CPU (a smaller sample) and says so; the number that
issue 4 asks for comes from `make gpu-check` (or `python -m bench astromer_gpu`) on a GPU.
"""

from __future__ import annotations

import time

import numpy as np

from qzo.models.astromer import backend
from qzo.models.astromer.encoder import AstromerEncoder
from qzo.models.astromer.infer import choose_precision, classify, save_classifier
from qzo.models.astromer.train import Classifier

from .common import workdir, write_result


def light_curves(n: int, rng, nights: int = 200):
    t = 58000 + np.cumsum(rng.exponential(3.0, (n, nights)), axis=1).ravel()
    m = 18 + rng.normal(0, 0.2, n * nights)
    return np.arange(n + 1) * nights, t, m


def saved_classifier(work, encoder: dict | None = None, pooling: str = "mean") -> tuple:
    """A classifier with random weights (the paper-size encoder unless ``encoder`` gives its
    arguments) saved in ``work``: its config and weights paths."""
    model = Classifier(AstromerEncoder(**(encoder or {})).build_for_window(), 3, pooling=pooling)
    model(model.encoder.dummy_inputs())
    saved = work / "config.json", work / "classifier.weights.h5"
    save_classifier(model, *saved)
    return saved


def measure(n: int, batch: int, check: int) -> dict:
    """Light curves per second over ``n`` light curves of 200 nights, after the precision check
    on ``check`` of them and a compiling pass."""
    saved = saved_classifier(workdir("astromer_gpu"))
    offsets, t, m = light_curves(n, np.random.default_rng(0))
    model, _, precision = choose_precision(
        *saved, "auto", offsets[: check + 1], t, m, batch_size=batch
    )
    classify(model, offsets[: 2 * batch + 1], t, m, batch_size=batch)  # compile
    t0 = time.perf_counter()
    probs, _ = classify(model, offsets, t, m, batch_size=batch)
    seconds = time.perf_counter() - t0
    assert probs.shape == (n, 3) and np.isfinite(probs).all()
    return {
        "rate": n / seconds,
        "n_light_curves": n,
        "batch_size": batch,
        "precision": precision,
        "seconds": round(seconds, 3),
    }


def main(n: int = 2048, batch: int = 256, check: int = 256) -> dict:
    """Sizes for a CPU; on a GPU (``make gpu-check``) ``bench.gpu_check`` passes larger ones."""
    result = measure(n, batch, check)
    rate = result.pop("rate")
    return write_result(
        "astromer_gpu",
        "light curves classified per second (full classifier, window 200)",
        rate,
        "light curves/s",
        backend=backend.name(),
        device=backend.device_name(),
        nights=200,
        **result,
        hours_for_789M=round(789e6 / rate / 3600, 2),
        target="value >= 50000 on one H100/H200",
    )


if __name__ == "__main__":
    main()
