from qzo.stages.catalog import catalog
from qzo.stages.runner import run_stage

run_stage(snakemake, catalog)
