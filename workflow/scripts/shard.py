from qzo.pipeline import run_shard
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_shard(
        snakemake.input.plan,
        snakemake.wildcards.shard,
        snakemake.input.batches,
        snakemake.output,
        snakemake.params.preprocess,
        snakemake.params.dedup_radius_arcsec,
        dict(zip(snakemake.params.catalogs, snakemake.input.catalogs, strict=True)),
        snakemake.params.catalogs,
        snakemake.params.crossmatch,
    ),
)
