from qzo.pipeline import run_shard
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_shard(
        snakemake.params.plan,
        snakemake.wildcards.shard,
        snakemake.input.batches,
        snakemake.output,
        snakemake.params.preprocess,
        snakemake.params.dedup_radius_arcsec,
        snakemake.input.catalogs,
        snakemake.params.catalogs,
        snakemake.params.crossmatch,
    ),
)
