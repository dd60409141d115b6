# Helpers shared by every rules file - config validation, paths, and the input functions
# (get_<rule>_<input>) that read the partition plan.
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
from qzo.config import pretraining_section, training_section, validate_config
from qzo.io.hats_input import hats_input_plan, is_hats_input, plan_input_files
from qzo.io.inputs import SIMULATION_LAYOUT, resolve_input_files
from qzo.io.partitioned_catalogs import is_partitioned_catalog

validate_config(config)

RESULTS = config["results_dir"]
# The astromer section of the training rules' params: without the keys only inference reads,
# so that changing how inference runs (backend, precision, batch size...) does not retrain.
TRAINING_SETTINGS = training_section(config["astromer"])
PRETRAINING_SETTINGS = pretraining_section(config["astromer"])
SIM_DIR = config["simulation"]["output_dir"]
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
# The boosters xgb_train saves (qzo.models.xgb.MODEL_NAMES; the stage checks they agree).
XGB_MODELS = ["ztf", "ztf_wise", "redshift"]


def results(path):
    """A path under the results directory; wildcards such as {shard} stay as they are."""
    return f"{RESULTS}/{path}"


def log_file(path):
    """A job's log file under logs/."""
    return f"logs/{path}"


def bench_file(path):
    """A job's benchmark (time, memory, I/O) under benchmarks/."""
    return f"benchmarks/{path}"


def resource(name):
    """A static input shipped with the workflow (resources/), wherever the run's directory is."""
    return str(Path(workflow.basedir) / "resources" / name)


def sim_path(product):
    """Path of one simulated product (qzo.io.inputs.SIMULATION_LAYOUT)."""
    return f"{SIM_DIR}/{SIMULATION_LAYOUT[product]}"


PLAN = results("partition/plan.json")
PARTITIONED = results("hats/catalogs/{catalog}")

# A HATS light-curve input: its partitions are the shards. One that exists already (real data)
# is planned from its metadata right here, so the DAG needs no checkpoint; the simulated one is
# planned by the partition_plan checkpoint once the simulate rule has written it.
if config["simulation"]["enabled"]:
    HATS_INPUT = config["simulation"]["format"] == "hats"
else:
    HATS_INPUT = is_hats_input(config["inputs"]["ztf_lightcurves"])
PLANNED_WHILE_PARSING = HATS_INPUT and not config["simulation"]["enabled"]

# External catalogs read where they lie (HATS, or HEALPix hive like IRSA's AllWISE) instead of
# being re-partitioned onto the shards: real ones found on disk, simulated ones by their path.
SIMULATED_HATS_CATALOGS = (
    {"hats_catalogs": directory(sim_path("hats_catalogs"))}
    if config["simulation"]["enabled"] and config["simulation"]["format"] == "hats"
    else {}
)


def _read_in_place(name):
    path = config["catalogs"][name]["path"]
    if SIMULATED_HATS_CATALOGS:
        return str(Path(path)) == str(Path(sim_path("hats_catalogs")) / name)
    return is_partitioned_catalog(path)


IN_PLACE_CATALOGS = [c for c in MATCHED_CATALOGS if _read_in_place(c)]
REPARTITIONED = [c for c in CATALOGS if c not in IN_PLACE_CATALOGS]


wildcard_constraints:
    shard=r"Norder=\d+/Dir=\d+/Npix=\d+",
    batch=r"\d+",
    group=r"\d+",
    fold=r"\d+",
    catalog="|".join(REPARTITIONED),


def memory_mb(base, input_factor=0):
    """A rule's mem_mb: ``base`` MB plus ``input_factor`` × its inputs' size, times the attempt,
    so a job killed for exceeding its memory asks for more when retried (profile `retries`).
    """

    if not input_factor:
        # No look at the inputs' sizes: stat-ing every shard job's inputs took ~40 % of a dry
        # run's planning (profile of 12,288 shards).
        def mem_mb(wildcards, attempt):
            return int(base * attempt)

        return mem_mb

    def mem_mb_scaled(wildcards, input, attempt):
        return int((base + input_factor * input.size_mb) * attempt)

    return mem_mb_scaled


# --- inputs --------------------------------------------------------------------------------------


def get_partition_plan_input(wildcards):
    """What the plan is made from: the per-field files' inventory, or the HATS catalog's
    metadata files (the simulator's manifest while it is simulated)."""
    if not HATS_INPUT:
        return {"inventory": results("inputs/ztf_inventory.parquet")}
    if config["simulation"]["enabled"]:
        return {"catalog_metadata": [sim_path("manifest")]}
    plan = current_plan()
    files = [str(Path(plan["catalog"]) / "partition_info.csv")]
    if plan["margin_catalog"] is not None:
        files.append(str(Path(plan["margin_catalog"]) / "partition_info.csv"))
    return {"catalog_metadata": files}


def get_preprocess_summary_reference(wildcards):
    """What the shards' accounting is checked against: the inventory, or the HATS plan."""
    if HATS_INPUT:
        return {"plan": PLAN}
    return {"inventory": results("inputs/ztf_inventory.parquet")}


def get_ztf_inventory_files(wildcards=None):
    """What ztf_inventory depends on: the simulator's manifest, or the real files."""
    if config["simulation"]["enabled"]:
        return [sim_path("manifest")]
    return [str(p) for p in resolve_input_files(config["inputs"]["ztf_lightcurves"])]


def get_partition_catalog_files(wildcards):
    """An external catalog's files: the simulated table, or the configured glob."""
    if config["simulation"]["enabled"]:
        return [sim_path(SIM_CATALOG[wildcards.catalog])]
    spec = config["catalogs"][wildcards.catalog]["path"]
    return [str(p) for p in resolve_input_files(spec)]


# --- the partition plan (written by the only checkpoint) -----------------------------------------


@lru_cache(maxsize=4)
def _read_plan(path, mtime):
    return _index_plan(json.loads(Path(path).read_text()))


@lru_cache(maxsize=1)
def _hats_plan():
    return _index_plan(
        hats_input_plan(
            config["inputs"]["ztf_lightcurves"],
            config["partition"],
            config["inputs"]["region"],
        )
    )


def _index_plan(plan):
    shard_batches = [[] for _ in plan["shards"]]
    for batch, shards in enumerate(plan["batch_shards"]):
        for s in shards:
            shard_batches[s].append(batch)
    plan["shard_index"] = {name: i for i, name in enumerate(plan["shards"])}
    plan["shard_batches"] = shard_batches
    return plan


def current_plan():
    """The partition plan: the HATS input's, made while parsing; else the one on disk (read
    once per change)."""
    if PLANNED_WHILE_PARSING:
        return _hats_plan()
    if not Path(PLAN).exists():
        raise WorkflowError(
            f"{PLAN} does not exist yet: run the partition_plan rule first"
        )
    return _read_plan(PLAN, Path(PLAN).stat().st_mtime)


def per_shard(pattern):
    """An input function: ``pattern`` (with a {shard} field) over every shard of the plan. The
    gather rules that use it wait for the partition_plan checkpoint (the only one)."""

    def expand_shards(wildcards):
        return [pattern.format(shard=s) for s in get_shard_names()]

    return expand_shards


def get_shard_names(wildcards=None):
    """Every shard of the plan, in plan order (after the checkpoint, unless planned while
    parsing)."""
    if not PLANNED_WHILE_PARSING:
        checkpoints.partition_plan.get()
    return current_plan()["shards"]


def get_shard_batches(wildcards):
    """The partition_split outputs that hold pieces of this shard or of its margin.

    Per-shard jobs are only requested through per_shard() above, after the checkpoint has
    run, so they read the plan from disk and do not depend on the checkpoint themselves:
    that keeps the DAG of tens of thousands of shard jobs cheap to build.
    """
    plan, index = _plan_index(wildcards.shard)
    return [results(f"partition/pieces/batch{b}") for b in plan["shard_batches"][index]]


def get_shard_partitions(wildcards):
    """A HATS input's partition that a shard is read from and the margin cache's partition of
    the same pixel (none for per-field files)."""
    if not HATS_INPUT:
        return []
    plan, index = _plan_index(wildcards.shard)
    return plan_input_files(plan, index)


def _plan_index(shard):
    plan = current_plan()
    index = plan["shard_index"].get(shard)
    if index is None:
        raise WorkflowError(f"shard {shard} is not in the partition plan {PLAN}")
    return plan, index


def get_shard_catalog_shards(wildcards):
    """Each matched catalog's files for this shard (its own rows and its margin's), or, for a
    catalog read in place, where it is."""
    return {
        c: (
            {"partitioned": config["catalogs"][c]["path"]}
            if c in IN_PLACE_CATALOGS
            else [
                results(f"hats/catalogs/{c}/{part}/dataset/{wildcards.shard}.parquet")
                for part in (c, f"{c}_margin")
            ]
        )
        for c in MATCHED_CATALOGS
    }


def get_in_place_catalog_metadata(wildcards):
    """What the catalogs read in place are described by: their partition lists (the
    simulator's manifest while they are simulated)."""
    if not IN_PLACE_CATALOGS:
        return []
    if SIMULATED_HATS_CATALOGS:
        return [sim_path("manifest")]
    files = []
    for c in IN_PLACE_CATALOGS:
        root = Path(config["catalogs"][c]["path"])
        listing = (root / "partition_info.csv", root / "collection.properties")
        files += [str(p) for p in listing if p.exists()] or [str(root)]
    return files


def infer_groups():
    """Shards in consecutive groups of astromer.shards_per_job (one GPU job each)."""
    n = config["astromer"]["shards_per_job"]
    names = get_shard_names()
    return [names[i : i + n] for i in range(0, len(names), n)]


def get_group_shards(wildcards):
    """The shards of one group (astromer_infer and xgb_infer)."""
    return infer_groups()[int(wildcards.group)]


def per_group_shard(pattern):
    """An input function: ``pattern`` (with a {shard} field) over the shards of one group."""

    def expand_group(wildcards):
        return [pattern.format(shard=s) for s in get_group_shards(wildcards)]

    return expand_group


def per_group(pattern):
    """An input function: ``pattern`` (with a {group} field) over every group."""

    def expand_groups(wildcards):
        return [pattern.format(group=g) for g in range(len(infer_groups()))]

    return expand_groups


def get_xgb_infer_light_curve(wildcards):
    """A group's light-curve probabilities (the group exists once the plan does)."""
    infer_groups()
    return results(f"astromer/predictions/group{wildcards.group}.parquet")


def get_features_template(wildcards):
    """Where each shard's feature table is, with its {shard} field left for the stage (a
    function, so Snakemake does not expand the field as a wildcard)."""
    return results("features/dataset/{shard}.parquet")


def get_astromer_infer_engine_input(wildcards):
    """The ONNX export, unless astromer.backend is keras."""
    if config["astromer"]["backend"] == "keras":
        return {}
    return {"onnx_classifier": results("astromer/export/classifier.onnx")}


def get_astromer_pretrain_input(wildcards):
    """Stage 1's data: every shard's preprocessed light curves and their count (sky), or the
    training set."""
    if config["astromer"]["pretrain_data"] == "sky":
        return {
            "objects": per_shard(results("preprocess/dataset/{shard}.parquet"))(
                wildcards
            ),
            "preprocess_summary": results("preprocess/summary.json"),
        }
    return {"training_set": results("labels/training_set.parquet")}


def get_evaluate_truth(wildcards):
    """The simulated truth and the labelled light curves (for the oracle and the likelihood
    model), or nothing on real data."""
    if not config["simulation"]["enabled"]:
        return {}
    return {
        "truth_sources": sim_path("truth_sources"),
        "truth_objects": sim_path("truth_objects"),
        "training_set": results("labels/training_set.parquet"),
    }


# --- outputs -------------------------------------------------------------------------------------

EVALUATION_TABLES = [
    "table1",
    "table3",
    "table4",
    "stacking",
    "light_curve_models",
    "cross_fitted",
    "calibration",
]


def evaluation_table_names():
    """The evaluate rule's tables; the truth comparison and the catalogs' contaminants exist
    on the simulated sky only."""
    return EVALUATION_TABLES + (
        ["truth", "contaminants"] if config["simulation"]["enabled"] else []
    )


def evaluation_tables():
    """The evaluate rule's tables: CSV in the report, with a caption each; and Markdown."""
    out = {}
    for name in evaluation_table_names():
        out[f"{name}_csv"] = report(
            results(f"evaluate/{name}.csv"),
            caption=f"../workflow/report/{name}.rst",
            category="Tables",
        )
        out[f"{name}_md"] = results(f"evaluate/{name}.md")
    return out


def final_outputs():
    """Targets of `rule all`."""
    return [
        *([] if HATS_INPUT else [results("inputs/ztf_inventory.json")]),
        results("hats/ztf_lc/properties"),
        results("preprocess/summary.json"),
        results("labels/summary.json"),
        results("astromer/predictions/done.json"),
        *(
            [results("astromer/export/export.json")]
            if config["astromer"]["export"]
            else []
        ),
        results("catalog/summary.json"),
        results("evaluate/summary.json"),
        # Every table, so that a table added to evaluate is made for a finished run too
        # (Snakemake reruns a job for its missing outputs only when they are requested).
        *[results(f"evaluate/{name}.md") for name in evaluation_table_names()],
        *[PARTITIONED.format(catalog=c) for c in REPARTITIONED],
    ]
