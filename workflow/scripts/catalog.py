from qzo.catalog import run_catalog
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_catalog(
        snakemake.input.groups,
        snakemake.input.summary,
        snakemake.input.training,
        snakemake.input.plan,
        snakemake.params.cuts,
        snakemake.output,
    ),
)
