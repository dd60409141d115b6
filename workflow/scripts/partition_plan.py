from qzo.stages.partition import partition_plan
from qzo.stages.runner import run_stage

run_stage(snakemake, partition_plan, workers=snakemake.threads)
