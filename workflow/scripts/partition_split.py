from qzo.stages.partition import partition_split
from qzo.stages.runner import run_stage

run_stage(snakemake, partition_split, batch=snakemake.wildcards.batch)
