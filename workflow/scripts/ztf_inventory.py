from qzo.ingest import write_inventory
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: write_inventory(
        snakemake.params.lightcurves,
        snakemake.params.band,
        snakemake.output.table,
        snakemake.output.summary,
        workers=snakemake.threads,
    ),
)
