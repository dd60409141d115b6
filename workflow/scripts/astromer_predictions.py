from qzo.training import run_predictions_check
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_predictions_check(
        snakemake.input.summary, snakemake.input.groups, snakemake.output[0]
    ),
)
