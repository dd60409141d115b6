from qzo.stages.runner import run_stage
from qzo.stages.training_set import labels

run_stage(snakemake, labels)
