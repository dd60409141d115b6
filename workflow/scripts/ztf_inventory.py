from qzo.stages.inventory import ztf_inventory
from qzo.stages.runner import run_stage

run_stage(snakemake, ztf_inventory, workers=snakemake.threads)
