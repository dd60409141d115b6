from qzo.stages.astromer import astromer_infer
from qzo.stages.runner import run_stage

run_stage(snakemake, astromer_infer, threads=snakemake.threads)
