"""Run the workflow in a subprocess with this interpreter (tests and benchmarks)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from qzo.io import StrPath


def snakemake_command(
    snakefile: StrPath,
    workdir: StrPath,
    configfile: StrPath | None,
    *args: object,
    cores: int | None = 2,
    env: Mapping[str, str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that run the workflow with this interpreter (its
    environment first on PATH, so job scripts and cluster jobs use the same Python); ``env``
    adds to or overrides the inherited environment, PATH included (still behind this one).
    ``cores=None`` leaves ``--cores`` to ``args``."""
    full_env = {**os.environ, **(env or {})}
    full_env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{full_env['PATH']}"
    cmd = [sys.executable, "-m", "snakemake", "-s", str(snakefile), "--directory", str(workdir)]
    if configfile is not None:
        cmd += ["--configfile", str(configfile)]
    if cores is not None:
        cmd += ["--cores", str(cores)]
    cmd += [str(a) for a in args]
    return cmd, full_env


def run_snakemake(
    snakefile: StrPath,
    workdir: StrPath,
    configfile: StrPath | None,
    *args: object,
    cores: int | None = 2,
    env: Mapping[str, str] | None = None,
    timeout: float = 1800,
    cwd: StrPath | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the workflow in a subprocess (see :func:`snakemake_command`), from ``cwd`` (relative
    paths in ``args``, such as a profile, are taken from there); return the completed process
    (output captured)."""
    cmd, full_env = snakemake_command(snakefile, workdir, configfile, *args, cores=cores, env=env)
    return subprocess.run(
        cmd, capture_output=True, text=True, env=full_env, timeout=timeout, cwd=cwd
    )
