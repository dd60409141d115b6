"""`make gpu-check` on this CPU, on JAX without TensorFlow: the command a GPU machine runs."""

import json
import os
import re
import subprocess
import tomllib
from importlib.metadata import version

import pytest
from conftest import REPO

pytest.importorskip("jax")


def test_gpu_check_runs_on_jax_and_records_backend_and_device(tmp_path):
    env = {
        **os.environ,
        "QZO_GPU_CHECK_QUICK": "1",
        "QZO_BENCH_RESULTS": str(tmp_path / "results"),
        "QZO_BENCH_WORK": str(tmp_path / "work"),
    }
    env.pop("KERAS_BACKEND", None)  # the target's default
    run = subprocess.run(
        ["make", "--no-print-directory", "gpu-check"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "results").glob("*.json")}
    assert sorted(results) == ["astromer_gpu", "astromer_train", "gpu_check"]
    assert {r["backend"] for r in results.values()} == {"jax"}
    check = results["gpu_check"]
    assert check["device"] == "CPU" and check["sizes"] == "quick" and check["complete"]
    steps = ["inference", "mixed_precision", "encoders", "training"]
    assert list(check["step_seconds"]) == steps
    # Each figure is rounded to 0.1 s: the steps' sum may exceed the total by those roundings.
    rounding = 0.05 * (len(steps) + 1)
    assert sum(check["step_seconds"].values()) <= check["seconds"] + rounding
    assert not check["tensorflow_imported"]  # what a GPU machine without TensorFlow runs
    assert check["value"] == results["astromer_gpu"]["value"] > 0
    assert results["astromer_gpu"]["n_light_curves"] == 64
    assert check["pretrain_lc_per_s"] > 0 and check["finetune_lc_per_s"] > 0
    # Both encoders' rates on realistic lengths, for the projection's GPU-hours.
    assert check["run_encoder_lc_per_s"] > 0 and check["paper_encoder_lc_per_s"] > 0
    assert set(check["mixed_precision_max_abs_diff"]) == {"mixed_float16", "mixed_bfloat16"}
    assert all(0 <= d < 0.05 for d in check["mixed_precision_max_abs_diff"].values())
    # Scratch files went where the test said, not into the repository's bench/work.
    assert (tmp_path / "work" / "gpu_check" / "classifier.weights.h5").exists()


def test_gpu_wheels_are_the_versions_the_project_runs():
    """The wheels `make gpu-wheels` carries to a GPU machine: pyproject's pins where it pins
    them, else what pip installed here."""
    specs = re.search(r"GPU_WHEEL_SPECS := (.*?)\n\n", (REPO / "Makefile").read_text(), re.S)
    wheels = dict(s.split("==") for s in specs.group(1).replace("\\\n", " ").split())
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = dict(d.split("==") for d in deps)
    assert {"keras", "jsonschema"} <= wheels.keys()
    for name, pinned in wheels.items():
        assert pinned == pins.get(name, version(name)), name


def test_gpu_wheels_downloads_them_for_the_gpu_machines_python():
    """`make gpu-wheels`, dry-run: one pip download of every spec, binary, for CPython 3.12."""
    run = subprocess.run(
        ["make", "--no-print-directory", "-n", "-W", ".venv/.installed-stamp", "gpu-wheels"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    command = run.stdout.replace("\\\n", " ")
    download = [line for line in command.splitlines() if "pip download" in line]
    assert len(download) == 1
    for option in ("--only-binary=:all:", "--python-version 3.12", "-d .whl", "keras==3.15.1"):
        assert option in " ".join(download[0].split()), option
