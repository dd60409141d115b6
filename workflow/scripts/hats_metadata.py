from qzo.stages.partition import hats_metadata
from qzo.stages.runner import run_stage

run_stage(snakemake, hats_metadata)
