"""`make gpu-check`: the light-curve model's GPU figures in one run of a few minutes, on the
Keras backend the machine has (``KERAS_BACKEND``; JAX on GPU machines without TensorFlow).

1. `astromer_gpu`: inference throughput of the paper-size classifier on 200-night windows,
   through the pipeline's own path (precision ``auto``: mixed float16 where it agrees).
2. Mixed precision on this hardware: the largest probability difference of ``mixed_float16``
   and ``mixed_bfloat16`` from float32 on the same light curves (``astromer.precision``'s check).
3. `astromer_train`: one steady epoch's throughput of each training stage.

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
from qzo.models.astromer.infer import PRECISIONS, classify, load_classifier

from . import astromer_gpu, astromer_train
from .common import workdir, write_result

#: (inference light curves, batch, precision-check light curves, training, validation) by case.
SIZES = {
    "gpu": (131_072, 4096, 4096, 8192, 1024),
    "cpu": (2048, 256, 256, 512, 64),
    "quick": (64, 32, 32, 48, 16),
}


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
    t0 = time.perf_counter()
    case = "quick" if os.environ.get("QZO_GPU_CHECK_QUICK") else "cpu"
    if backend.gpu_available():
        case = "gpu"
    n_infer, batch, check, n_train, n_val = SIZES[case]
    inference = astromer_gpu.main(n_infer, batch, check)
    agreement = precision_agreement(check, batch)
    training = astromer_train.main(n_train, n_val)
    return write_result(
        "gpu_check",
        "light curves classified per second (full classifier, window 200)",
        inference["value"],
        "light curves/s",
        backend=backend.name(),
        device=backend.device_name(),
        sizes=case,
        inference_precision=inference["precision"],
        hours_for_789M=inference["hours_for_789M"],
        mixed_precision_max_abs_diff=agreement,
        pretrain_lc_per_s=training["pretrain_lc_per_s"],
        finetune_lc_per_s=training["finetune_lc_per_s"],
        tensorflow_imported="tensorflow" in sys.modules,
        seconds=round(time.perf_counter() - t0, 1),
        target="inference >= 50000 light curves/s on one H100/H200; whole check <= 8 min",
    )


if __name__ == "__main__":
    main()
