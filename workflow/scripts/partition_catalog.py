from qzo.stages.partition import partition_catalog
from qzo.stages.runner import run_stage

run_stage(snakemake, partition_catalog, catalog=snakemake.wildcards.catalog)
