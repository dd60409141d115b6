from qzo.stages.evaluate import evaluate
from qzo.stages.runner import run_stage

run_stage(snakemake, evaluate)
