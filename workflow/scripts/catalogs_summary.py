from qzo.pipeline import run_catalogs_summary
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_catalogs_summary(
        dict(zip(snakemake.params.names, snakemake.input, strict=True)), snakemake.output[0]
    ),
)
