from qzo.stages.partition import catalogs_summary
from qzo.stages.runner import run_stage

run_stage(snakemake, catalogs_summary)
