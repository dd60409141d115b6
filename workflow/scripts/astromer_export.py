from qzo.stages.astromer import astromer_export
from qzo.stages.runner import run_stage

run_stage(snakemake, astromer_export)
