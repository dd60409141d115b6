"""Choosing the Keras backend of a job (``astromer.keras_backend``)."""

import os
import subprocess
import sys

import keras
import pytest

from qzo.models.astromer import backend


def test_a_fresh_process_runs_keras_on_the_backend_chosen():
    """... and on JAX, limiting the CPU threads changes nothing and says so."""
    script = (
        "from qzo.models.astromer.backend import select, limit_cpu_threads; select('jax'); "
        "import keras; print(keras.backend.backend(), limit_cpu_threads(1))"
    )
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["jax", "False"]


def test_a_process_cannot_switch_backend_once_keras_runs():
    current = keras.backend.backend()
    backend.select(current)  # the one it runs: nothing to do
    other = next(b for b in backend.KERAS_BACKENDS if b != current)
    with pytest.raises(RuntimeError, match=f"already running on '{current}'"):
        backend.select(other)
    with pytest.raises(ValueError, match="expected one of"):
        backend.select("torch")


def test_importing_qzo_turns_on_tensorflows_onednn_kernels_unless_told_otherwise():
    """On every x86 CPU, not only where TensorFlow enables them by default (AVX-512 VNNI and
    newer); TF_ENABLE_ONEDNN_OPTS=0 in the environment keeps the Eigen kernels."""
    env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    script = (
        "import qzo; from tensorflow.python.util import _pywrap_util_port as port; "
        "print(port.IsMklEnabled())"
    )
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["True"]
    script = "import os, qzo; print(os.environ['TF_ENABLE_ONEDNN_OPTS'])"
    env["TF_ENABLE_ONEDNN_OPTS"] = "0"
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert run.stdout.split() == ["0"], run.stderr[-2000:]


def test_a_job_runs_tensorflow_on_the_threads_it_was_given_and_only_before_it_starts():
    """``limit_cpu_threads`` before the first operation pins both thread pools; afterwards it
    changes nothing and says so (JAX: the test above)."""
    script = (
        "from qzo.models.astromer.backend import select, limit_cpu_threads; "
        "select('tensorflow'); first = limit_cpu_threads(1); "
        "import keras, tensorflow as tf; x = keras.ops.ones((8, 8)); keras.ops.matmul(x, x); "
        "t = tf.config.threading; "
        "print(first, t.get_intra_op_parallelism_threads(), t.get_inter_op_parallelism_threads(), "
        "limit_cpu_threads(2), t.get_intra_op_parallelism_threads())"
    )
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["True", "1", "1", "False", "1"]
    assert "already runs, not limited to 2" in run.stderr
    with pytest.raises(ValueError, match="at least 1"):
        backend.limit_cpu_threads(0)
