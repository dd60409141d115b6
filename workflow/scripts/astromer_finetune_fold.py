from pathlib import Path

from qzo.training import run_finetune_fold
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_finetune_fold(
        snakemake.input.table,
        snakemake.input.encoder,
        int(snakemake.wildcards.fold),
        snakemake.params.astromer,
        Path(snakemake.output[0]).parent,
        snakemake.output[0],
    ),
)
