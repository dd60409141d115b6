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


def run_snakemake(snakefile, workdir, configfile, *args, cores: int = 2, timeout: float = 1800):
    """Run the workflow in a subprocess with this interpreter's environment first on PATH (so
    job scripts use the same Python); return the completed process (output captured)."""
    import os
    import subprocess
    from pathlib import Path

    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
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
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
