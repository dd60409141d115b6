"""Which engine runs the classifier at inference: Keras (TensorFlow, XLA-compiled) or the ONNX
export (:mod:`qzo.models.astromer.export`) under ONNX Runtime, chosen per job by measurement."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from qzo.io import StrPath

BACKENDS = ("auto", "keras", "onnx")


def onnx_session(path: StrPath, threads: int | None = None) -> Any:
    """An ONNX Runtime session on ``path``: the CUDA provider when ONNX Runtime has one, else
    the CPU with ``threads`` (default: the CPUs this process may use, e.g. a SLURM job's)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or len(os.sched_getaffinity(0))
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    providers = [
        p
        for p in ("CUDAExecutionProvider", "CPUExecutionProvider")
        if p in ort.get_available_providers()
    ]
    return ort.InferenceSession(str(path), options, providers=providers)


def fed_inputs(session: Any, inputs: dict[str, Any]) -> dict[str, np.ndarray]:
    """The inputs a session's graph takes (the converter drops inputs a graph does not use,
    e.g. ``key_log_count`` under ``key_mask``)."""
    names = {i.name for i in session.get_inputs()}
    return {k: np.asarray(v, np.float32) for k, v in inputs.items() if k in names}


class OnnxClassifier:
    """``classifier.onnx`` under ONNX Runtime, with the facts :func:`classify` needs (the
    same attributes as :class:`qzo.models.astromer.train.Classifier`)."""

    def __init__(
        self,
        path: StrPath,
        encoder_config: dict[str, Any],
        n_classes: int,
        pooled_size: int,
        threads: int | None = None,
    ) -> None:
        self.path = path
        self.session = onnx_session(path, threads)
        self.encoder_config = encoder_config
        self.n_classes = n_classes
        self.pooled_size = pooled_size

    @classmethod
    def like(cls, path: StrPath, model: Any, threads: int | None = None) -> OnnxClassifier:
        """The export at ``path`` of the Keras classifier ``model``, on ``threads`` CPU
        threads (:func:`onnx_session`)."""
        return cls(path, model.encoder_config, model.n_classes, model.pooled_size, threads)

    def logits_and_embedding(self, inputs: dict[str, Any]) -> tuple[Any, Any]:
        logits, embedding = self.session.run(
            ["logits", "embedding"], fed_inputs(self.session, inputs)
        )
        return logits, embedding


def _timed(run: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    out = run()
    return out, time.perf_counter() - start


def choose_backend(
    requested: str,
    keras_model: Any,
    onnx_path: StrPath | None,
    offsets: ArrayLike,
    times: ArrayLike,
    mags: ArrayLike,
    batch_size: int = 256,
    errors: ArrayLike | None = None,
    tolerance: float = 1e-4,
    threads: int | None = None,
) -> tuple[Any, dict]:
    """The model to classify with, and a record of why.

    ``keras``: the Keras model. ``onnx``: the export at ``onnx_path``, if its probabilities on
    the light curves given agree with Keras to ``tolerance`` (else an error). ``auto``: each
    engine classifies the light curves twice (the first pass compiles); the faster second pass
    wins, the ONNX export only if it agrees. The record holds both rates and the difference.
    ONNX Runtime runs on ``threads`` CPU threads (:func:`onnx_session`), as Keras on the job's.
    """
    from qzo.models.astromer.infer import classify

    if requested not in BACKENDS:
        raise ValueError(f"backend {requested!r}: expected one of {BACKENDS}")
    if requested == "keras":
        return keras_model, {"backend": "keras", "requested": requested}
    if onnx_path is None:
        raise ValueError(f"backend {requested}: no ONNX export given")
    onnx_model = OnnxClassifier.like(onnx_path, keras_model, threads)
    n = len(np.asarray(offsets)) - 1

    def run(model: Any) -> tuple[np.ndarray, float]:
        def once() -> np.ndarray:
            return classify(model, offsets, times, mags, batch_size, errors=errors)[0]

        once()
        return _timed(once)

    p_keras, t_keras = run(keras_model)
    p_onnx, t_onnx = run(onnx_model)
    diff = float(np.abs(p_keras - p_onnx).max()) if n else 0.0
    record = {
        "requested": requested,
        "checked_on": n,
        "max_abs_diff": diff,
        "keras_lc_per_s": round(n / max(t_keras, 1e-9), 1),
        "onnx_lc_per_s": round(n / max(t_onnx, 1e-9), 1),
        "onnx_providers": onnx_model.session.get_providers(),
        "onnx_threads": onnx_model.session.get_session_options().intra_op_num_threads,
    }
    if diff > tolerance:
        if requested == "onnx":
            raise ValueError(
                f"backend onnx: {onnx_path} gives probabilities {diff:.2e} from Keras "
                f"(> {tolerance}) on {n} light curves; re-export or use keras"
            )
        return keras_model, {**record, "backend": "keras"}
    if requested == "onnx" or t_onnx < t_keras:
        return onnx_model, {**record, "backend": "onnx"}
    return keras_model, {**record, "backend": "keras"}
