from pathlib import Path

from qzo.pipeline import run_hats_metadata
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_hats_metadata(
        snakemake.input.plan,
        Path(snakemake.output.catalog).parent,
        Path(snakemake.output.margin).parent,
    ),
)
