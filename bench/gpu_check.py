"""`make gpu-check`: the light-curve model's GPU figures in one run of a few minutes, on the
Keras backend the machine has (``KERAS_BACKEND``; JAX on GPU machines without TensorFlow).

1. `astromer_gpu`: inference throughput of the paper-size classifier on 200-night windows,
   through the pipeline's own path (precision ``auto``: mixed float16 where it agrees).
2. Mixed precision on this hardware: the largest probability difference of ``mixed_float16``
   and ``mixed_bfloat16`` from float32 on the same light curves (``astromer.precision``'s check).
3. Both encoders (the embedded default's and the paper's) on light curves of 20–200 nights,
   the rates the pipeline projection's GPU-hours use.
4. `astromer_train`: one steady epoch's throughput of each training stage.

Writes ``astromer_gpu.json``, ``astromer_train.json`` and ``gpu_check.json`` (all three naming the
backend and device) under ``bench/results/``. ``QZO_GPU_CHECK_QUICK=1`` shrinks every size (the
test that runs this command on a CPU).
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from qzo.models.astromer import backend
from qzo.models.astromer.infer import PRECISIONS, choose_precision, classify, load_classifier

from . import astromer_gpu, astromer_train
from .common import encoder_settings, workdir, write_result

#: Sizes by case: inference light curves of 200 nights, batch, precision-check light curves,
#: light curves of 20–200 nights for the two encoders' rates, training and validation sets.
SIZES = {
    "gpu": {
        "infer": 131_072,
        "batch": 4096,
        "check": 4096,
        "mixed": 65_536,
        "train": 8192,
        "val": 1024,
    },
    "cpu": {"infer": 2048, "batch": 256, "check": 256, "mixed": 1024, "train": 512, "val": 64},
    "quick": {"infer": 64, "batch": 32, "check": 32, "mixed": 64, "train": 48, "val": 16},
}


def encoder_rates(n: int, batch: int) -> dict:
    """Light curves per second of the embedded default's classifier (``run``) and the
    paper-size one (``paper``), random weights, on ``n`` light curves of 20–200 nights (uniform:
    mean 110; the pipeline's preprocessed ones average 119), through the pipeline's path
    (precision ``auto``, compact windows, XLA): the second of two passes, the first compiling
    every length. The pipeline projection's GPU-hours use them."""
    rng = np.random.default_rng(2)
    offsets = np.r_[0, np.cumsum(rng.integers(20, 201, n))]
    t = 58000 + np.cumsum(rng.exponential(3.0, offsets[-1]))
    m = 18 + rng.normal(0, 0.2, offsets[-1])
    e = rng.uniform(0.01, 0.1, offsets[-1])
    out = {}
    for name, cfg in encoder_settings().items():
        saved = astromer_gpu.saved_classifier(
            workdir(f"gpu_check_{name}"), cfg.architecture, cfg.pooling
        )
        errors = e if cfg.error_input else None
        check = offsets[: min(n, 4096) + 1]
        model, _, precision = choose_precision(
            *saved, "auto", check, t, m, batch_size=batch, errors=errors
        )
        classify(model, offsets, t, m, batch_size=batch, errors=errors)  # compile
        t0 = time.perf_counter()
        classify(model, offsets, t, m, batch_size=batch, errors=errors)
        out[f"{name}_encoder_lc_per_s"] = round(n / (time.perf_counter() - t0), 1)
        out[f"{name}_encoder_precision"] = precision["precision"]
    return out


def precision_agreement(n: int, batch: int) -> dict:
    """Per mixed policy: the largest |p − p_float32| over ``n`` light curves of 200 nights."""
    saved = astromer_gpu.saved_classifier(workdir("gpu_check"))
    lcs = astromer_gpu.light_curves(n, np.random.default_rng(1))
    reference = classify(load_classifier(*saved)[0], *lcs, batch_size=batch)[0]
    out = {}
    for policy in PRECISIONS[1:]:
        probs = classify(load_classifier(*saved, policy)[0], *lcs, batch_size=batch)[0]
        out[policy] = float(np.abs(probs - reference).max())
    return out


def main() -> dict:
    """The four steps in order; the result file is rewritten after each one (``complete``
    false until the last), so a step that fails on a GPU leaves the earlier steps' figures."""
    t0 = time.perf_counter()
    case = "quick" if os.environ.get("QZO_GPU_CHECK_QUICK") else "cpu"
    if backend.gpu_available():
        case = "gpu"
    size = SIZES[case]

    def inference() -> dict:
        result = astromer_gpu.main(size["infer"], size["batch"], size["check"])
        return {
            "value": result["value"],
            "inference_precision": result["precision"],
            "hours_for_789M": result["hours_for_789M"],
        }

    def training() -> dict:
        result = astromer_train.main(size["train"], size["val"])
        return {k: result[k] for k in ("pretrain_lc_per_s", "finetune_lc_per_s")}

    steps = {
        "inference": inference,
        "mixed_precision": lambda: {
            "mixed_precision_max_abs_diff": precision_agreement(size["check"], size["batch"])
        },
        "encoders": lambda: encoder_rates(size["mixed"], size["batch"]),
        "training": training,
    }
    record: dict = {"sizes": case, "step_seconds": {}}
    for name, step in steps.items():
        start = time.perf_counter()
        record.update(step())
        record["step_seconds"][name] = round(time.perf_counter() - start, 1)
        result = write_result(
            "gpu_check",
            "light curves classified per second (full classifier, window 200)",
            record["value"],
            "light curves/s",
            backend=backend.name(),
            device=backend.device_name(),
            **{k: v for k, v in record.items() if k != "value"},
            complete=name == list(steps)[-1],
            tensorflow_imported="tensorflow" in sys.modules,
            seconds=round(time.perf_counter() - t0, 1),
            target="inference >= 50000 light curves/s on one H100/H200; whole check <= 8 min",
        )
    return result


if __name__ == "__main__":
    main()
