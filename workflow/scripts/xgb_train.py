from qzo.stacking import run_xgb_train
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_xgb_train(
        snakemake.input.table,
        snakemake.input.full,
        snakemake.input.folds,
        dict(zip(snakemake.params.shards, snakemake.input.features, strict=True)),
        snakemake.params.xgb,
        snakemake.output,
    ),
)
