from qzo.stages.runner import run_stage
from qzo.stages.xgb import xgb_train

run_stage(snakemake, xgb_train)
