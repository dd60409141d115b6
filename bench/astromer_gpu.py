"""Benchmark `astromer_gpu`: inference throughput of the full light-curve classifier (the
paper's encoder: 2 blocks, 4×64 heads, dff 128; head 1024-512-256; window 200) on light curves
of 200 nights, through the pipeline's own path (``choose_precision`` + ``classify``: XLA,
mixed float16 where it agrees with float32 to 1e-3). Records the device. Target (issue 4):
≥ 50,000 light curves/s on one H100/H200 (789M in under 4.5 GPU-hours).

On a machine without a GPU it measures the CPU (a smaller sample) and says so; the number that
issue 4 asks for comes from running `make bench` (or `python -m bench astromer_gpu`) on a GPU.
"""

from __future__ import annotations

import time

import numpy as np

from qzo.models.astromer.encoder import AstromerEncoder
from qzo.models.astromer.infer import choose_precision, classify, gpu_available, save_classifier
from qzo.models.astromer.train import Classifier

from .common import workdir, write_result


def light_curves(n: int, rng, nights: int = 200):
    t = 58000 + np.cumsum(rng.exponential(3.0, (n, nights)), axis=1).ravel()
    m = 18 + rng.normal(0, 0.2, n * nights)
    return np.arange(n + 1) * nights, t, m


def device_name() -> str:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "CPU"
    details = tf.config.experimental.get_device_details(gpus[0])
    return f"GPU: {details.get('device_name', gpus[0].name)}"


def main() -> dict:
    work = workdir("astromer_gpu")
    on_gpu = gpu_available()
    n, batch = (262_144, 4096) if on_gpu else (2048, 256)
    model = Classifier(AstromerEncoder().build_for_window(), n_classes=3)
    zeros = np.zeros((1, 200, 1), np.float32)
    model({"times": zeros, "mags": zeros, "mask": zeros})
    saved = work / "config.json", work / "classifier.weights.h5"
    save_classifier(model, *saved)
    rng = np.random.default_rng(0)
    offsets, t, m = light_curves(n, rng)
    check = 4096 if on_gpu else 256
    model, _, precision = choose_precision(
        *saved, "auto", offsets[: check + 1], t, m, batch_size=batch
    )
    classify(model, offsets[: 2 * batch + 1], t, m, batch_size=batch)  # compile
    t0 = time.perf_counter()
    probs, _ = classify(model, offsets, t, m, batch_size=batch)
    seconds = time.perf_counter() - t0
    assert probs.shape == (n, 3)
    rate = n / seconds
    return write_result(
        "astromer_gpu",
        "light curves classified per second (full classifier, window 200)",
        rate,
        "light curves/s",
        device=device_name(),
        n_light_curves=n,
        nights=200,
        batch_size=batch,
        precision=precision,
        seconds=round(seconds, 3),
        hours_for_789M=round(789e6 / rate / 3600, 2),
        target="value >= 50000 on one H100/H200",
    )


if __name__ == "__main__":
    main()
