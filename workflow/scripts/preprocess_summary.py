from qzo.stages.runner import run_stage
from qzo.stages.shard import preprocess_summary

run_stage(snakemake, preprocess_summary)
