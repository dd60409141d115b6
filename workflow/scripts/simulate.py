from qzo.simulate import simulate_sky
from qzo.workflow import run_rule

run_rule(
    snakemake,
    lambda: simulate_sky(
        snakemake.params.simulation,
        snakemake.params.simulation["output_dir"],
        workers=snakemake.threads,
        progress=False,
    ),
)
