from qzo.pipeline import run_partition_catalog
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_partition_catalog(
        snakemake.wildcards.catalog,
        snakemake.params.spec,
        snakemake.input.plan,
        snakemake.output[0],
        snakemake.params.margin_arcsec,
    ),
)
