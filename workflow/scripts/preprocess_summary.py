from qzo.pipeline import run_preprocess_summary
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_preprocess_summary(
        snakemake.input.inventory,
        snakemake.input.accounting,
        snakemake.output[0],
    ),
)
