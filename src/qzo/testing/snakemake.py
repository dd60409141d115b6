"""Run the workflow in a subprocess with this interpreter (tests and benchmarks)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
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


class BackgroundRun:
    """A workflow run in a subprocess that the caller does not wait for; :meth:`wait` ends it."""

    def __init__(self, cmd: list[str], env: Mapping[str, str], cwd: StrPath | None = None):
        self._out = tempfile.TemporaryFile("w+")
        self._err = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            cmd, stdout=self._out, stderr=self._err, text=True, env=env, cwd=cwd
        )
        self._result: subprocess.CompletedProcess[str] | None = None

    def running(self) -> bool:
        return self.process.poll() is None

    def wait(self, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
        """The finished process, output captured; killed past ``timeout`` s or when the wait
        is interrupted (the exception is raised again)."""
        if self._result is not None:
            return self._result
        try:
            self.process.wait(timeout)
        except BaseException:  # a timeout, or Ctrl-C: no workflow left running unseen
            self.process.kill()
            self.process.wait()
            raise
        outputs = []
        for stream in (self._out, self._err):
            stream.seek(0)
            outputs.append(stream.read())
            stream.close()
        self._result = subprocess.CompletedProcess(
            self.process.args, self.process.returncode, *outputs
        )
        return self._result


def start_snakemake(
    snakefile: StrPath,
    workdir: StrPath,
    configfile: StrPath | None,
    *args: object,
    cores: int | None = 2,
    env: Mapping[str, str] | None = None,
    cwd: StrPath | None = None,
) -> BackgroundRun:
    """Start the workflow in a subprocess (see :func:`snakemake_command`) from ``cwd`` (relative
    paths in ``args``, such as a profile, are taken from there) and return without waiting."""
    cmd, full_env = snakemake_command(snakefile, workdir, configfile, *args, cores=cores, env=env)
    return BackgroundRun(cmd, full_env, cwd)


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
    """Run the workflow in a subprocess (see :func:`start_snakemake`); the completed process."""
    run = start_snakemake(snakefile, workdir, configfile, *args, cores=cores, env=env, cwd=cwd)
    return run.wait(timeout)
