from qzo.stages.astromer import astromer_pretrain
from qzo.stages.runner import run_stage

run_stage(snakemake, astromer_pretrain, threads=snakemake.threads)
