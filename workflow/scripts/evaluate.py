from pathlib import Path

from qzo.evaluate import run_evaluate
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_evaluate(
        snakemake.input.training,
        Path(snakemake.input.experiments).parent,
        snakemake.input.hats,
        Path(snakemake.input.truth[0]).parent / "truth" if snakemake.input.truth else None,
        snakemake.params.settings,
        Path(snakemake.output.summary).parent,
    ),
)
