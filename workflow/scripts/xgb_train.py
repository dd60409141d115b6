from qzo.stacking import run_xgb_train
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: run_xgb_train(
        snakemake.input.table,
        snakemake.input.full,
        snakemake.input.folds,
        snakemake.params.features_dir,
        snakemake.params.xgb,
        snakemake.output,
    ),
)
