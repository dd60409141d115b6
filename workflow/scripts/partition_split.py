from qzo.pipeline import run_partition_split
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_partition_split(
        snakemake.input.plan, int(snakemake.wildcards.batch), snakemake.output[0]
    ),
)
