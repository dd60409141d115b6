from pathlib import Path

from qzo.training import run_finetune
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_finetune(
        snakemake.input.table,
        snakemake.input.encoder,
        snakemake.params.astromer,
        Path(snakemake.output.config).parent.parent,
        snakemake.output.predictions,
    ),
)
