from qzo.stages.calibrate import calibrate
from qzo.stages.runner import run_stage

run_stage(snakemake, calibrate)
