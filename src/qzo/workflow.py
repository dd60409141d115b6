"""Glue between Snakemake scripts and the library: logging and error messages that name the rule."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from .errors import ConfigError, InputDataError

log = logging.getLogger("qzo")


def run_rule(smk, main: Callable[[], object]) -> None:
    """Run ``main`` for the Snakemake job ``smk``, logging to its log file.

    Bad input or configuration ends the job with one line naming the rule, the file and the column
    (also written to the log); anything else propagates with its traceback.
    """
    handlers = [logging.StreamHandler(sys.stderr)]
    if smk.log:
        handlers.append(logging.FileHandler(smk.log[0], mode="w"))
    logging.basicConfig(
        level=logging.INFO,
        handlers=handlers,
        force=True,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        main()
    except (InputDataError, ConfigError) as exc:
        message = f"rule {smk.rule}: {exc}"
        log.error(message)
        raise SystemExit(message) from None


def snakemake_command(
    snakefile, workdir, configfile, *args, cores: int = 2, env: dict | None = None
) -> tuple[list[str], dict]:
    """The command line and environment that run the workflow with this interpreter (its
    environment first on PATH, so job scripts and cluster jobs use the same Python); ``env``
    adds to or overrides the inherited environment, PATH included (still behind this one)."""
    import os
    from pathlib import Path

    full_env = {**os.environ, **(env or {})}
    full_env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{full_env['PATH']}"
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(snakefile),
        "--directory",
        str(workdir),
        "--configfile",
        str(configfile),
        "--cores",
        str(cores),
        *map(str, args),
    ]
    return cmd, full_env


def run_snakemake(
    snakefile, workdir, configfile, *args, cores: int = 2, env: dict | None = None, timeout=1800
):
    """Run the workflow in a subprocess (see :func:`snakemake_command`); return the completed
    process (output captured)."""
    import subprocess

    cmd, full_env = snakemake_command(snakefile, workdir, configfile, *args, cores=cores, env=env)
    return subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=timeout)
