from qzo.pipeline import run_partition_plan
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_partition_plan(
        snakemake.input.inventory,
        snakemake.params.settings,
        snakemake.output.plan,
        workers=snakemake.threads,
    ),
)
