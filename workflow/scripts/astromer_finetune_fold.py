from qzo.stages.astromer import astromer_finetune_fold
from qzo.stages.runner import run_stage

run_stage(
    snakemake, astromer_finetune_fold, fold=snakemake.wildcards.fold, threads=snakemake.threads
)
