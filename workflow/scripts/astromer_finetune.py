from qzo.stages.astromer import astromer_finetune
from qzo.stages.runner import run_stage

run_stage(snakemake, astromer_finetune, threads=snakemake.threads)
