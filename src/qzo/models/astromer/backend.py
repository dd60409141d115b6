"""Everything about the light-curve model that depends on the Keras backend, in one place.

The encoder, classifier and training loop are written in ``keras.ops`` and run on any Keras 3
backend; this module is the only one that imports TensorFlow or JAX. TensorFlow is the default
(the published model's fidelity test runs on it); JAX runs the same model, with the same
``.weights.h5`` files, on machines without TensorFlow (``astromer.keras_backend``).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

#: Keras backends the light-curve model runs on (both tested).
KERAS_BACKENDS = ("tensorflow", "jax")


def select(backend: str) -> None:
    """Run Keras on ``backend``: sets ``KERAS_BACKEND`` if Keras is not imported yet; if it is,
    it must already run on ``backend`` (a process cannot switch)."""
    if backend not in KERAS_BACKENDS:
        raise ValueError(f"keras_backend {backend!r}: expected one of {KERAS_BACKENDS}")
    if importlib.util.find_spec(backend) is None:
        raise ImportError(
            f"keras_backend {backend!r}: the {backend} package is not installed "
            f"(JAX: pip install '.[jax]', or JAX's CUDA build on a GPU node)"
        )
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = backend
        return
    current = name()
    if current != backend:
        raise RuntimeError(
            f"keras_backend {backend!r}: Keras is already running on {current!r} in this "
            f"process; set KERAS_BACKEND={backend} before anything imports keras"
        )


def name() -> str:
    """The backend Keras runs on."""
    import keras

    return keras.backend.backend()


def limit_cpu_threads(threads: int) -> bool:
    """Run TensorFlow's CPU operations on ``threads`` threads (intra- and inter-op), as many as
    the job was given; whether it took effect. By default TensorFlow takes every core it sees,
    so jobs that Snakemake runs side by side on one machine (the fine-tuning folds) would
    oversubscribe it; on one thread each, two fold jobs on two cores train 1.1-1.2x faster than
    on two threads each. Must come before TensorFlow runs its first operation (else False,
    logged); on JAX, nothing is changed (False)."""
    if threads < 1:
        raise ValueError(f"threads {threads}: expected at least 1")
    current = name()
    if current != "tensorflow":
        log.info("CPU threads: not limited on %s", current)
        return False
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError as err:  # the runtime already started in this process
        log.warning("CPU threads: TensorFlow already runs, not limited to %d (%s)", threads, err)
        return False
    log.info("CPU threads: TensorFlow on %d", threads)
    return True


#: oneDNN caps (``ONEDNN_MAX_CPU_ISA``) without bfloat16 instructions.
ISAS_WITHOUT_BFLOAT16 = ("SSE41", "AVX", "AVX2", "AVX2_VNNI")


def refuse_capped_bfloat16(precision: str) -> None:
    """Raise if ``precision`` would run bfloat16 on the CPU with TensorFlow's oneDNN kernels
    capped below bfloat16 (``ONEDNN_MAX_CPU_ISA=AVX2``, docs/architecture.md "CPU kernels"):
    on a CPU with AVX-512 BF16, TensorFlow then dies of a segmentation fault instead."""
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper()
    if "bfloat16" not in precision or cap not in ISAS_WITHOUT_BFLOAT16:
        return
    if name() == "tensorflow" and not gpu_available():
        raise RuntimeError(
            f"precision {precision}: TensorFlow's CPU kernels are capped at "
            f"ONEDNN_MAX_CPU_ISA={cap}, which has no bfloat16 (TensorFlow would crash); "
            "unset it or use float32"
        )


def gpu_available() -> bool:
    """Whether the backend sees a GPU."""
    if name() == "jax":
        import jax

        return any(device.platform == "gpu" for device in jax.devices())
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def device_name() -> str:
    """``CPU``, or ``GPU: <model>`` of the first GPU the backend sees."""
    if not gpu_available():
        return "CPU"
    if name() == "jax":
        import jax

        return f"GPU: {jax.devices('gpu')[0].device_kind}"
    import tensorflow as tf

    gpu = tf.config.list_physical_devices("GPU")[0]
    return f"GPU: {tf.config.experimental.get_device_details(gpu).get('device_name', gpu.name)}"


def build_weights(model: Any, inputs: dict[str, Any]) -> None:
    """Create ``model``'s weights with one call on ``inputs`` (arrays of the shapes it takes).
    On JAX the call is symbolic: an eager first call there compiles every operation, about
    9 s a process; on TensorFlow the eager call is the cheaper (a symbolic one traces a
    graph). The weights are the same either way."""
    if name() == "jax":
        import keras

        inputs = {
            key: keras.KerasTensor(tuple(value.shape), dtype=str(value.dtype))
            for key, value in inputs.items()
        }
    model(inputs)


_COMPILED: dict[tuple[int, str], Callable[..., Any]] = {}


def compiled(model: Any, method: str = "call") -> Callable[..., Any]:
    """``model.<method>`` (a function of array inputs, for inference) compiled with XLA, cached
    per model and method, so a job compiles each batch shape once however many shards it
    classifies. TensorFlow: a ``tf.function`` with ``jit_compile``; JAX: ``jax.jit`` of the
    method with the model's variables as arguments."""
    key = (id(model), method)
    if key not in _COMPILED:
        function = getattr(model, method)
        if name() == "jax":
            _COMPILED[key] = _jax_compiled(model, function)
        else:
            import tensorflow as tf

            _COMPILED[key] = tf.function(function, reduce_retracing=True, jit_compile=True)
    return _COMPILED[key]


def _jax_compiled(model: Any, function: Callable[..., Any]) -> Callable[..., Any]:
    import jax
    import keras

    variables = model.variables

    def pure(values: list, *args: Any) -> Any:
        with keras.StatelessScope(state_mapping=list(zip(variables, values, strict=True))):
            return function(*args)

    jitted = jax.jit(pure)
    return lambda *args: jitted([v.value for v in variables], *args)


def train_jit_compile() -> bool:
    """``jit_compile`` for ``Model.compile`` in training: XLA on JAX (its eager mode is far
    slower), a plain graph on TensorFlow (as the training here has always run)."""
    return name() == "jax"


def read_tf_checkpoint(prefix: str) -> Any:
    """A reader (``has_tensor``, ``get_tensor``) of a TensorFlow object checkpoint, such as the
    published Astromer weights; needs the ``tensorflow`` package whatever the backend."""
    try:
        import tensorflow as tf
    except ImportError as err:
        raise ImportError(
            f"{prefix}: reading a TensorFlow checkpoint (the published Astromer weights) needs "
            "the tensorflow package; or start from a .weights.h5 trained here"
        ) from err
    return tf.train.load_checkpoint(prefix)
