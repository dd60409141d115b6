"""Benchmark `pipeline`: the whole workflow on a simulated sky of about a million light curves,
per stage from Snakemake's own benchmark files (core-seconds, wall time, peak memory per job,
bytes written, jobs), projected to ZTF DR20 and to its g + r bands.

Settings: the embedded default (``config/config.yaml``: its encoder, inference and XGBoost
settings) with the production shard size (``partition.max_rows_per_shard`` at the schema's
default) and a fixed training set: as many SDSS spectra as the default sky has, whatever
``QZO_BENCH_PIPELINE_SOURCES`` (default 770,000 sources, ≈ 1M light curves) is, and stage 1 on
its default sample. Training stages therefore cost the same at any sky size; the projection
keeps them fixed.

Projection: a rule before or at preprocessing scales with the g-band objects read (DR20: 1.5B),
one after it with the light curves kept (789M); the external catalogs are taken to scale like
the light curves (they are read per shard). Training rules are fixed. The g + r projection
multiplies the sky-scaled rules by (1.5B + 2.4B) / 1.5B (the paper leaves out i). GPU-hours
come from `gpu_check` (both encoders on 20–200-night light curves) or else `astromer_gpu` (the
paper-size encoder at 200 nights) when measured on a GPU; else only the CPU figures stand. The
paper-size encoder's inference is the run's, times their measured cost ratio on the same
preprocessed light curves (:func:`encoder_size_cost`).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pandas as pd
import yaml

from qzo.config import default_config
from qzo.testing.snakemake import run_snakemake

from .common import (
    REPO,
    RESULTS,
    bench_sky,
    encoder_settings,
    median_pair,
    workdir,
    write_result,
)

N_SOURCES = int(os.environ.get("QZO_BENCH_PIPELINE_SOURCES", 770_000))
DEFAULT_SOURCES = 30_000  # the embedded default's sky; its spectra count is kept fixed

#: ZTF DR20 (the paper, Sect. 2): g-band objects read, light curves kept, r-band objects.
DR20_G_OBJECTS = 1.5e9
DR20_G_KEPT = 789e6
DR20_R_OBJECTS = 2.4e9
DR20_G_FILES_TB = 4.6

#: Rules whose cost does not depend on the sky (fixed training set, fixed stage-1 sample).
FIXED = {
    "labels",
    "astromer_pretrain",
    "astromer_finetune",
    "astromer_finetune_fold",
    "astromer_export",
    "xgb_train",
    "calibrate",
}
#: Rules that scale with the objects read (the rest of the sky-scaled rules: objects kept).
INPUT_SIDE = {"ztf_inventory", "partition_plan", "partition_split", "hats_metadata", "shard"}
#: Rules that make the simulated inputs; not part of a real run.
SIMULATION = {"simulate"}
#: Rules that run once over the whole sky: their wall time is the projection's serial time.
SERIAL = {
    "ztf_inventory",
    "partition_plan",
    "hats_metadata",
    "catalogs_summary",
    "preprocess_summary",
    "astromer_predictions",
    "catalog",
    "evaluate",
}
#: Rules with one job per group of shards.
GROUP_RULES = {"astromer_infer", "xgb_infer"}
#: Rules the Snakefile runs in the main process (``localrules``), not as cluster jobs.
LOCAL = {"catalogs_summary", "preprocess_summary"}
#: Rules that need a GPU on a cluster (`resources: gpu=1`).
GPU = {"astromer_pretrain", "astromer_finetune", "astromer_finetune_fold", "astromer_infer"}


def bench_config(n_sources: int) -> dict:
    """The default configuration with the benchmark's sky, shard size and spectra count."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    schema_default = default_config()["partition"]["max_rows_per_shard"]
    spectra_fraction = default_config()["simulation"]["sdss_fraction"]
    config["partition"]["max_rows_per_shard"] = schema_default
    config["simulation"]["n_sources"] = n_sources
    config["simulation"]["sdss_fraction"] = spectra_fraction * DEFAULT_SOURCES / n_sources
    return config


def rule_costs(work: Path) -> pd.DataFrame:
    """Per rule, from ``benchmarks/<rule>[/...].tsv``: jobs, wall and core seconds, peak memory
    of one job and MB written."""
    rows = []
    for tsv in sorted((work / "benchmarks").rglob("*.tsv")):
        rule = tsv.relative_to(work / "benchmarks").parts[0].removesuffix(".tsv")
        b = pd.read_csv(tsv, sep="\t").iloc[-1]
        rows.append((rule, b["s"], b["cpu_time"], b["max_rss"], b["io_out"]))
    jobs = pd.DataFrame(rows, columns=["rule", "wall_s", "core_s", "max_rss_mb", "written_mb"])
    return jobs.groupby("rule").agg(
        jobs=("wall_s", "size"),
        wall_s=("wall_s", "sum"),
        core_s=("core_s", "sum"),
        max_job_wall_s=("wall_s", "max"),
        peak_job_rss_mb=("max_rss_mb", "max"),
        written_mb=("written_mb", "sum"),
    )


#: Outputs that grow with the sky (the rest of ``results/`` is the fixed training products).
SKY_OUTPUTS = (
    "inputs",
    "partition",
    "hats",
    "preprocess",
    "dedup",
    "features",
    "astromer/predictions",
    "xgb/predictions",
    "catalog",
)


def _mb(path: Path) -> float:
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    return sum(p.stat().st_size for p in files) / 2**20


def stored_mb(work: Path) -> dict[str, float]:
    """MB at rest: each sky-scaled output directory, and the rest of ``results/`` (training
    products, evaluation) as ``fixed``; the simulated inputs apart."""
    results = work / "results"
    out = {name: round(_mb(results / name), 1) for name in SKY_OUTPUTS if (results / name).exists()}
    everything = _mb(results) - _mb(results / "simulated")
    out["fixed"] = round(everything - sum(out.values()), 1)
    out["simulated_inputs"] = round(_mb(results / "simulated"), 1)
    return out


def scale_of(rule: str, objects_in: int, objects_out: int) -> float:
    """DR20 g-band over this run, for one rule (1 for the fixed ones)."""
    if rule in FIXED:
        return 1.0
    return DR20_G_OBJECTS / objects_in if rule in INPUT_SIDE else DR20_G_KEPT / objects_out


def slurm_group_sizes() -> dict[str, int]:
    """Jobs per SLURM submission, per grouped rule, from ``profiles/slurm/config.yaml``."""
    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    sizes = profile.get("group-components", {})
    return {rule: int(sizes.get(group, 1)) for rule, group in profile.get("groups", {}).items()}


def classifier_rates() -> tuple[dict | None, dict | None]:
    """`astromer_gpu`'s result (the paper-size classifier, 200-night windows) as (GPU, CPU):
    the one it was measured on, None for the other (both None if it has not run)."""
    path = RESULTS / "astromer_gpu.json"
    if not path.exists():
        return None, None
    result = json.loads(path.read_text())
    on_gpu = result.get("device", "CPU") != "CPU"
    return (result, None) if on_gpu else (None, result)


def gpu_encoder_rates() -> dict | None:
    """`gpu_check`'s rates of both encoders on light curves of 20–200 nights, if it ran on a
    GPU (else None)."""
    path = RESULTS / "gpu_check.json"
    result = json.loads(path.read_text()) if path.exists() else {}
    return result if result.get("device", "CPU") != "CPU" else None


def project(
    costs: pd.DataFrame, objects_in: int, objects_out: int, stored: dict, paper_over_run: float
) -> dict:
    """Core-hours, GPU-hours, storage, jobs and serial wall time for DR20 g and for g + r;
    ``paper_over_run``: the paper-size encoder's inference cost over the run's
    (:func:`encoder_size_cost`)."""
    real = costs.drop(index=[r for r in costs.index if r in SIMULATION])
    scale = pd.Series({r: scale_of(r, objects_in, objects_out) for r in real.index})
    both_bands = (DR20_G_OBJECTS + DR20_R_OBJECTS) / DR20_G_OBJECTS
    per_stage = {}
    for rule, row in real.iterrows():
        s = float(scale[rule])
        per_stage[rule] = {
            "kind": "fixed" if rule in FIXED else "input" if rule in INPUT_SIDE else "kept",
            "core_hours_dr20": round(row.core_s * s / 3600, 2),
            "wall_hours_dr20_if_serial": round(row.wall_s * s / 3600, 2),
            "jobs_dr20": int(row.jobs * (1 if rule in SERIAL or rule in FIXED else s) + 0.5),
            "written_gb_dr20": round(row.written_mb * s / 1024, 1),
            "peak_job_rss_mb": round(float(row.peak_job_rss_mb), 0),
            "gpu_rule": rule in GPU,
        }
    # Group jobs hold `astromer.shards_per_job` shards each (the run had one, part-filled).
    per_group = default_config()["astromer"]["shards_per_job"]
    shard_jobs = per_stage.get("shard", {}).get("jobs_dr20", 0)
    for rule in GROUP_RULES & set(per_stage):
        per_stage[rule]["jobs_dr20"] = -(-shard_jobs // per_group)
    grouped = slurm_group_sizes()
    submissions = sum(
        -(-v["jobs_dr20"] // grouped.get(r, 1)) for r, v in per_stage.items() if r not in LOCAL
    )
    core_hours = {r: v["core_hours_dr20"] for r, v in per_stage.items()}
    dominant = max(core_hours, key=lambda r: core_hours[r])
    total = sum(core_hours.values())
    gpu, cpu = classifier_rates()
    infer_core_hours = core_hours.get("astromer_infer", 0.0)
    encoders = gpu_encoder_rates()

    def hours_at(rate: float) -> float:
        return round(DR20_G_KEPT / rate / 3600, 2)

    gpu_hours = gpu_hours_paper = None
    if encoders:  # both encoders on realistic lengths
        gpu_hours = hours_at(encoders["run_encoder_lc_per_s"])
        gpu_hours_paper = hours_at(encoders["paper_encoder_lc_per_s"])
    elif gpu:  # the paper-size encoder at 200 nights: an upper bound for either
        gpu_hours = gpu_hours_paper = hours_at(gpu["value"])
    paper_size = DR20_G_KEPT / cpu["value"] * (os.cpu_count() or 1) / 3600 if cpu else None
    sky_scaled = sum(v for r, v in core_hours.items() if r not in FIXED)
    fixed = total - sky_scaled
    kept_scale = DR20_G_KEPT / objects_out
    storage_gb = {
        name: round(mb * (1 if name == "fixed" else kept_scale) / 1024, 1)
        for name, mb in stored.items()
        if name != "simulated_inputs"
    }
    sky_storage = sum(v for k, v in storage_gb.items() if k != "fixed")
    return {
        "per_stage": per_stage,
        "dr20_g": {
            "core_hours_total": round(total, 1),
            "core_hours_no_gpu": round(total, 1),
            "core_hours_with_gpu": (
                round(total - infer_core_hours, 1) if gpu or encoders else None
            ),
            "gpu_hours_inference": gpu_hours,
            "gpu_hours_inference_paper_size": gpu_hours_paper,
            "gpu_rate_source": (
                "gpu_check on a GPU (20-200 nights)"
                if encoders
                else "astromer_gpu on a GPU (200 nights)"
                if gpu
                else "not measured on a GPU"
            ),
            # The run's encoder is the default's; the paper's (d_model 256) at 200 nights:
            "astromer_infer_core_hours_paper_size_200_nights": (
                round(paper_size, 1) if paper_size else None
            ),
            # ... and measured on the pipeline's own light curves (their real lengths):
            "astromer_infer_core_hours_paper_size": round(infer_core_hours * paper_over_run, 1),
            "core_hours_total_paper_size_encoder": round(
                total + infer_core_hours * (paper_over_run - 1), 1
            ),
            "dominant_stage": dominant,
            "dominant_share": round(core_hours[dominant] / total, 3),
            "snakemake_jobs": sum(v["jobs_dr20"] for v in per_stage.values()),
            "slurm_submissions": submissions,
            "serial_wall_hours": round(
                sum(v["wall_hours_dr20_if_serial"] for r, v in per_stage.items() if r in SERIAL),
                2,
            ),
            "storage_gb_at_rest": storage_gb,
            "storage_tb_total": round(sum(storage_gb.values()) / 1024, 2),
            "input_tb_g_band_files": DR20_G_FILES_TB,
            "goal": "<= 1,000 core-hours + <= 5 GPU-hours, or <= 2,000 core-hours with no GPU",
            "meets_goal_no_gpu_run_encoder": bool(total <= 2000),
            "meets_goal_no_gpu_paper_size_encoder": bool(
                total + infer_core_hours * (paper_over_run - 1) <= 2000
            ),
        },
        "dr20_g_plus_r": {
            "core_hours_total": round(float(fixed + sky_scaled * both_bands), 1),
            "storage_tb_total": round((sky_storage * both_bands + storage_gb["fixed"]) / 1024, 2),
            "scale_over_g": round(both_bands, 2),
        },
    }


def measure(n_sources: int) -> dict:
    """Run the workflow on the benchmark's sky in ``bench/work/pipeline`` and read what it cost."""
    work = workdir("pipeline")
    config = bench_config(n_sources)
    configfile = work / "config.yaml"
    configfile.write_text(yaml.safe_dump(config, sort_keys=False))
    t0 = time.perf_counter()
    proc = run_snakemake(REPO / "Snakefile", work, configfile, timeout=6 * 3600)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"pipeline run failed:\n{proc.stderr[-4000:]}")
    summary = json.loads((work / "results" / "preprocess" / "summary.json").read_text())
    labels = json.loads((work / "results" / "labels" / "summary.json").read_text())
    costs = rule_costs(work)
    core_s = float(costs.drop(index=[r for r in costs.index if r in SIMULATION]).core_s.sum())
    return {
        "n_sources": n_sources,
        "objects_read": summary["input"]["rows_read"],
        "light_curves_kept": summary["objects_out"],
        "shards": summary["n_shards"],
        "labelled_light_curves": labels["matched"],
        "settings": {
            "max_rows_per_shard": config["partition"]["max_rows_per_shard"],
            "encoder": {k: config["astromer"][k] for k in ("num_layers", "d_model", "dff")},
            "pretrain_sample_size": config["astromer"]["pretrain_sample_size"],
        },
        "wall_s": round(wall, 1),
        "core_s_without_simulation": round(core_s, 1),
        "light_curves_per_core_s": round(summary["objects_out"] / core_s, 1),
        "measured": {
            rule: {k: round(float(v), 2) for k, v in row.items()}
            for rule, row in costs.sort_values("core_s", ascending=False).iterrows()
        },
        "stored_mb": stored_mb(work),
        "encoder_size_cost": encoder_size_cost(),
    }


#: The encoder-size comparison: light curves per timed pass, interleaved pairs, and the sky.
SIZE_SAMPLE, SIZE_PAIRS, SIZE_SKY = 4096, 3, 85_000


def encoder_size_cost() -> dict:
    """Inference time of the paper-size classifier (the schema's encoder, d_model 256) over the
    run's (the embedded default's), on the same preprocessed light curves of a simulated cap
    (their real ≤ 200-night lengths, not full windows), through the pipeline's path (compact
    windows, XLA, the run's batch size), as interleaved pairs."""
    from qzo.config import PreprocessSettings, load_config
    from qzo.io.ztf_files import read_lightcurves
    from qzo.lightcurves.preprocess import objects_table, preprocess
    from qzo.models.astromer.encoder import AstromerEncoder
    from qzo.models.astromer.infer import CLASS_NAMES, classify, table_sequences
    from qzo.models.astromer.train import Classifier

    from .preprocess import concat

    config = load_config(REPO / "config" / "config.yaml")
    sky, manifest = bench_sky(SIZE_SKY)
    lcs = concat([read_lightcurves(sky / f) for f in manifest["ztf_files"][:4]])
    table = objects_table(preprocess(lcs, PreprocessSettings.from_config(config["preprocess"])))
    sample = table_sequences(table.slice(0, SIZE_SAMPLE), errors=True)
    settings = encoder_settings()
    models = {
        name: Classifier(
            AstromerEncoder(**cfg.architecture).build_for_window(),
            n_classes=len(CLASS_NAMES),
            pooling=cfg.pooling,
        )
        for name, cfg in settings.items()
    }
    batch = settings["run"].batch_size

    def seconds(name: str) -> float:
        errors = sample[3] if models[name].encoder.config_["error_input"] else None
        t0 = time.perf_counter()
        classify(models[name], *sample[:3], batch_size=batch, errors=errors)
        return time.perf_counter() - t0

    for name in models:
        seconds(name)  # compile every batch shape
    pairs = [(seconds("run"), seconds("paper")) for _ in range(SIZE_PAIRS)]
    index, spread = median_pair([paper / run for run, paper in pairs])
    n = len(sample[0]) - 1
    return {
        "light_curves": n,
        "mean_nights": round(float(sample[0][-1] / n), 1),
        "batch_size": batch,
        "run_lc_per_s": round(n / pairs[index][0], 1),
        "paper_lc_per_s": round(n / pairs[index][1], 1),
        **spread,
    }


#: What :func:`measure` records (and a re-projection reads back).
MEASURED_KEYS = (
    "n_sources",
    "objects_read",
    "light_curves_kept",
    "shards",
    "labelled_light_curves",
    "settings",
    "wall_s",
    "core_s_without_simulation",
    "light_curves_per_core_s",
    "measured",
    "stored_mb",
    "encoder_size_cost",
)


def main() -> dict:
    """Measure and project; ``QZO_BENCH_PIPELINE_REPROJECT=1`` redoes only the projection from
    the measurements in ``bench/results/pipeline.json`` (e.g. once `astromer_gpu` has run on a
    GPU)."""
    if os.environ.get("QZO_BENCH_PIPELINE_REPROJECT") == "1":
        previous = json.loads((RESULTS / "pipeline.json").read_text())
        if "encoder_size_cost" not in previous:  # recorded before the comparison existed
            previous["encoder_size_cost"] = encoder_size_cost()
        run = {k: previous[k] for k in MEASURED_KEYS}
        peak = previous["peak_rss_mb"]
    else:
        run, peak = measure(N_SOURCES), None
    costs = pd.DataFrame.from_dict(run["measured"], orient="index")
    projection = project(
        costs,
        run["objects_read"],
        run["light_curves_kept"],
        run["stored_mb"],
        run["encoder_size_cost"]["ratio_median"],
    )
    return write_result(
        "pipeline",
        "core-hours for ZTF DR20 g (789M light curves), projected from a measured run",
        projection["dr20_g"]["core_hours_total"],
        "core-hours",
        peak_mb=peak,
        **run,
        projection=projection,
    )


if __name__ == "__main__":
    main()
