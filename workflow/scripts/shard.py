from qzo.stages.runner import run_stage
from qzo.stages.shard import shard

run_stage(snakemake, shard, shard=snakemake.wildcards.shard)
