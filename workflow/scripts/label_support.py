from qzo.stages.runner import run_stage
from qzo.stages.xgb import label_support

run_stage(snakemake, label_support)
