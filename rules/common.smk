# Helpers shared by all rule files (config validation, paths, input functions).
import sys
from pathlib import Path

# The library lives in src/qzo. This process imports it from there; job scripts find it through
# the workflow/scripts/qzo link (Snakemake puts a script's directory on its sys.path), so jobs
# in conda environments that hold only the dependencies work too.
sys.path.insert(0, str(Path(workflow.basedir) / "src"))

import json
from functools import lru_cache

from snakemake.exceptions import WorkflowError

# Parse-time imports stay light (every cluster job parses the workflow again).
from qzo.config import validate_config
from qzo.paths import SIMULATION_LAYOUT as SIM_LAYOUT
from qzo.paths import resolve_input_files

validate_config(config)

RESULTS = config["results_dir"]
SIM_DIR = config["simulation"]["output_dir"]
LOGS = "logs"
BENCH = "benchmarks"
PLAN = f"{RESULTS}/partition/plan.json"
HATS = f"{RESULTS}/hats"
ZTF_HATS = f"{HATS}/ztf_lc"
ZTF_MARGIN = f"{HATS}/ztf_lc_margin"
CATALOGS = list(config["catalogs"])
# The catalogs whose nearest counterparts become features (SDSS gives the labels instead).
MATCHED_CATALOGS = ["allwise", "ps1", "gaia"]
# Which simulated product stands in for each external catalog.
SIM_CATALOG = {
    "allwise": "allwise",
    "ps1": "ps1",
    "gaia": "gaia",
    "sdss": "sdss_specobj",
}


wildcard_constraints:
    shard=r"Norder=\d+/Dir=\d+/Npix=\d+",
    batch=r"\d+",
    group=r"\d+",
    fold=r"\d+",
    catalog="|".join(CATALOGS),


def memory_mb(base, input_factor=0):
    """A rule's mem_mb: ``base`` MB plus ``input_factor`` × its inputs' size, times the attempt,
    so a job killed for exceeding its memory asks for more when retried (profile `retries`).
    """

    def mem_mb(wildcards, input, attempt):
        return int((base + input_factor * input.size_mb) * attempt)

    return mem_mb


def sim_path(product):
    """Path of one simulated product (see qzo.paths.SIMULATION_LAYOUT)."""
    return f"{SIM_DIR}/{SIM_LAYOUT[product]}"


def ztf_input_files(wildcards=None):
    """What the ZTF-reading rules depend on: the simulator's manifest, or the real files."""
    if config["simulation"]["enabled"]:
        return [sim_path("manifest")]
    return [str(p) for p in resolve_input_files(config["inputs"]["ztf_lightcurves"])]


def catalog_input_files(wildcards):
    """An external catalog's files: the simulated table, or the configured glob."""
    if config["simulation"]["enabled"]:
        return [sim_path(SIM_CATALOG[wildcards.catalog])]
    spec = config["catalogs"][wildcards.catalog]["path"]
    return [str(p) for p in resolve_input_files(spec)]


@lru_cache(maxsize=4)
def _read_plan(path, mtime):
    plan = json.loads(Path(path).read_text())
    shard_batches = [[] for _ in plan["shards"]]
    for batch, shards in enumerate(plan["batch_shards"]):
        for s in shards:
            shard_batches[s].append(batch)
    plan["shard_index"] = {name: i for i, name in enumerate(plan["shards"])}
    plan["shard_batches"] = shard_batches
    return plan


def current_plan():
    """The partition plan on disk (read once per change)."""
    if not Path(PLAN).exists():
        raise WorkflowError(
            f"{PLAN} does not exist yet: run the partition_plan rule first"
        )
    return _read_plan(PLAN, Path(PLAN).stat().st_mtime)


def split_dirs(wildcards):
    """The partition_split outputs that hold pieces of this shard or of its margin.

    Per-shard jobs are only requested through per_shard() below, after the checkpoint has
    run, so they read the plan from disk and do not depend on the checkpoint themselves:
    that keeps the DAG of tens of thousands of shard jobs cheap to build.
    """
    plan = current_plan()
    index = plan["shard_index"].get(wildcards.shard)
    if index is None:
        raise WorkflowError(
            f"shard {wildcards.shard} is not in the partition plan {PLAN}"
        )
    return [
        f"{RESULTS}/partition/pieces/batch{b}" for b in plan["shard_batches"][index]
    ]


def per_shard(pattern):
    """``pattern`` (with a {shard} field) expanded over every shard of the plan; the gather
    rules that use it wait for the partition_plan checkpoint (the only one)."""

    def expand_shards(wildcards):
        checkpoints.partition_plan.get()
        return [pattern.format(shard=s) for s in current_plan()["shards"]]

    return expand_shards


def shard_names(wildcards=None):
    """Every shard of the plan, in plan order (after the checkpoint)."""
    checkpoints.partition_plan.get()
    return current_plan()["shards"]


def infer_groups():
    """Shards in consecutive groups of astromer.shards_per_job (one GPU job each)."""
    n = config["astromer"]["shards_per_job"]
    names = shard_names()
    return [names[i : i + n] for i in range(0, len(names), n)]


def group_inputs(wildcards):
    shards = infer_groups()[int(wildcards.group)]
    return [f"{RESULTS}/preprocess/dataset/{s}.parquet" for s in shards]


def group_shards(wildcards):
    return infer_groups()[int(wildcards.group)]


def all_predictions(wildcards):
    return [
        f"{RESULTS}/astromer/predictions/group{g}.parquet"
        for g in range(len(infer_groups()))
    ]


def group_features(wildcards):
    shards = infer_groups()[int(wildcards.group)]
    return [f"{RESULTS}/features/dataset/{s}.parquet" for s in shards]


def group_predictions(wildcards):
    """A group's light-curve probabilities (the group exists once the plan does)."""
    infer_groups()
    return f"{RESULTS}/astromer/predictions/group{wildcards.group}.parquet"


def all_xgb_predictions(wildcards):
    return [
        f"{RESULTS}/xgb/predictions/group{g}.parquet"
        for g in range(len(infer_groups()))
    ]


def xgb_settings(wildcards=None):
    """The xgb config section, with the workflow's thread count."""
    return {**config["xgb"], "threads": config["threads"]}


def truth_input(wildcards):
    """The simulated truth (its manifest stands for it), or nothing on real data."""
    return [sim_path("manifest")] if config["simulation"]["enabled"] else []


EVALUATION_TABLES = ["table1", "table3", "table4", "stacking"]


def evaluation_tables():
    """The evaluate rule's tables (CSV in the report, with a caption each; and Markdown); the
    truth comparison exists on the simulated sky only."""
    names = EVALUATION_TABLES + (["truth"] if config["simulation"]["enabled"] else [])
    out = {}
    for name in names:
        out[f"{name}_csv"] = report(
            f"{RESULTS}/evaluate/{name}.csv",
            caption=f"../workflow/report/{name}.rst",
            category="Tables",
        )
        out[f"{name}_md"] = f"{RESULTS}/evaluate/{name}.md"
    return out


def final_outputs():
    """Targets of `rule all` for the stages that exist."""
    return [
        f"{RESULTS}/inputs/ztf_inventory.json",
        f"{ZTF_HATS}/properties",
        f"{RESULTS}/preprocess/summary.json",
        f"{RESULTS}/labels/summary.json",
        f"{RESULTS}/astromer/predictions/done.json",
        f"{RESULTS}/catalog/summary.json",
        f"{RESULTS}/evaluate/summary.json",
        *[f"{HATS}/catalogs/{c}" for c in CATALOGS],
    ]
