from qzo.pipeline import run_preprocess
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_preprocess(
        snakemake.input.shard,
        snakemake.input.margin,
        snakemake.params.settings,
        snakemake.output.objects,
        snakemake.output.margin,
        snakemake.output.accounting,
    ),
)
