from qzo.training import run_labels
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_labels(
        snakemake.input.sdss,
        snakemake.params.shards,
        snakemake.input.objects,
        snakemake.params.settings,
        snakemake.output.table,
        snakemake.output.summary,
    ),
)
