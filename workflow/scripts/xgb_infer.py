from qzo.catalog import run_xgb_infer
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_xgb_infer(
        snakemake.input.models,
        snakemake.input.predictions,
        snakemake.params.features,
        snakemake.params.shards,
        snakemake.output[0],
    ),
)
