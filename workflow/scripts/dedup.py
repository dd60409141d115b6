from qzo.pipeline import run_dedup
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_dedup(
        snakemake.input.objects,
        snakemake.input.margin,
        snakemake.params.radius_arcsec,
        snakemake.output[0],
    ),
)
