from qzo.stages.runner import run_stage
from qzo.stages.simulate import simulate

run_stage(snakemake, simulate, workers=snakemake.threads)
