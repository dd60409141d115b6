"""What every rule's script does: call its stage function with the job's named inputs, outputs
and params as keyword arguments, log to the job's log file, and turn bad input or configuration
into one line that names the rule, the file and the column."""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Callable
from typing import Any

from qzo.errors import ConfigError, InputDataError

log = logging.getLogger("qzo")


def _named(items: Any) -> dict[str, Any]:
    """The named entries of a Snakemake ``Namedlist`` (input, output or params)."""
    return dict(items.items())


def stage_arguments(smk: Any, stage: Callable[..., object], **extra: Any) -> dict[str, Any]:
    """Keyword arguments of ``stage`` for the Snakemake job ``smk``: its named inputs, outputs
    and params, and ``extra`` (wildcards, threads). Every name must be a parameter of the stage
    and every parameter without a default must be given, so a rule and its stage cannot drift
    apart unnoticed."""
    kwargs: dict[str, Any] = {}
    for source in (_named(smk.input), _named(smk.output), _named(smk.params), extra):
        for name, value in source.items():
            if name in kwargs:
                raise TypeError(f"rule {smk.rule}: '{name}' is named twice")
            kwargs[name] = value
    signature = inspect.signature(stage)
    unknown = sorted(set(kwargs) - set(signature.parameters))
    missing = sorted(
        name
        for name, p in signature.parameters.items()
        if p.default is inspect.Parameter.empty and name not in kwargs
    )
    if unknown or missing:
        raise TypeError(
            f"rule {smk.rule} does not match {stage.__module__}.{stage.__name__}: "
            f"unknown arguments {unknown}, missing arguments {missing}"
        )
    return kwargs


def run_stage(smk: Any, stage: Callable[..., object], **extra: Any) -> None:
    """Run ``stage`` for the Snakemake job ``smk`` (see :func:`stage_arguments`), logging to
    its log file.

    Bad input or configuration ends the job with one line naming the rule, the file and the column
    (also written to the log); anything else propagates with its traceback (logged too).
    """
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if smk.log:
        handlers.append(logging.FileHandler(smk.log[0], mode="w"))
    logging.basicConfig(
        level=logging.INFO,
        handlers=handlers,
        force=True,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        stage(**stage_arguments(smk, stage, **extra))
    except (InputDataError, ConfigError) as exc:
        message = f"rule {smk.rule}: {exc}"
        log.error(message)
        raise SystemExit(message) from None
    except Exception:
        log.exception("rule %s failed", smk.rule)  # the traceback in the job's own log too
        raise
