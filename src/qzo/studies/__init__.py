"""Measurements on a finished run's outputs that the workflow does not make, each a command
line: ``python -m qzo.studies.NAME RESULTS_DIR --config CONFIG [CONFIG ...] --out OUT``, where
the CONFIG files are the run's as the workflow merged them (``config/config.yaml``, then each
file given to ``snakemake --configfile``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from qzo.config.settings import XGBSettings
from qzo.config.validate import load_config


def study_parser(doc: str, out_help: str = "the output directory") -> argparse.ArgumentParser:
    """The command line every study shares: the run's results directory, its config files and
    where the study writes (more arguments may be added)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("results", type=Path, help="the run's results directory")
    parser.add_argument(
        "--config",
        type=Path,
        nargs="+",
        required=True,
        help="the run's config files as the workflow merged them: config/config.yaml, then "
        "each file given to snakemake --configfile, in that order",
    )
    parser.add_argument("--out", type=Path, required=True, help=out_help)
    return parser


def study_config(args: argparse.Namespace) -> tuple[dict, XGBSettings]:
    """The run's validated config and its XGBoost settings, from a :func:`study_parser`'s
    arguments."""
    config = load_config(args.config)
    return config, XGBSettings.from_config(config["xgb"], threads=config["threads"])
