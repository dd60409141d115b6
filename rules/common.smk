# Helpers shared by all rule files (config validation, paths, input functions).
import sys
from pathlib import Path

# The library lives in src/qzo. This process imports it from there; job scripts find it through
# the workflow/scripts/qzo link (Snakemake puts a script's directory on its sys.path), so jobs
# in conda environments that hold only the dependencies work too.
sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from qzo.config import validate_config
from qzo.ingest import resolve_input_files
from qzo.simulate import LAYOUT as SIM_LAYOUT

validate_config(config)

RESULTS = config["results_dir"]
SIM_DIR = config["simulation"]["output_dir"]
LOGS = "logs"
BENCH = "benchmarks"


def sim_path(product):
    """Path of one simulated product (see qzo.simulate.LAYOUT)."""
    return f"{SIM_DIR}/{SIM_LAYOUT[product]}"


def ztf_input_files(wildcards=None):
    """What the ZTF-reading rules depend on: the simulator's manifest, or the real files."""
    if config["simulation"]["enabled"]:
        return [sim_path("manifest")]
    return [str(p) for p in resolve_input_files(config["inputs"]["ztf_lightcurves"])]


def final_outputs():
    """Targets of `rule all` for the stages that exist."""
    return [
        f"{RESULTS}/inputs/ztf_inventory.parquet",
        f"{RESULTS}/inputs/ztf_inventory.json",
    ]
