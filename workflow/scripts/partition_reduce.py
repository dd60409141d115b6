from qzo.pipeline import run_partition_reduce
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_partition_reduce(
        snakemake.input.plan,
        snakemake.wildcards.shard,
        snakemake.input.batches,
        snakemake.output.shard,
        snakemake.output.margin,
    ),
)
