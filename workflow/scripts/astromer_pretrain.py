from pathlib import Path

from qzo.training import run_pretrain
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_pretrain(
        snakemake.input[0],
        snakemake.params.astromer,
        snakemake.output[0],
        Path(snakemake.output[0]).parent,
    ),
)
