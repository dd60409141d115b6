from qzo.stages.runner import run_stage
from qzo.stages.xgb import xgb_infer

run_stage(snakemake, xgb_infer)
