from pathlib import Path

from qzo.training import run_infer
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_infer(
        Path(snakemake.input.model).parent,
        snakemake.input.objects,
        snakemake.params.shards,
        snakemake.params.astromer,
        snakemake.output[0],
    ),
)
