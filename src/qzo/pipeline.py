"""Entry points of the sharding, preprocessing and dedup rules: read inputs, call the library,
write outputs atomically. Each is one Snakemake job; workflow/scripts/*.py only call these."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .crossmatch import SURVEYS, ZTF_COLUMNS, shard_features
from .dedup import flag_duplicates
from .errors import InputDataError
from .hats import write_hats_metadata
from .healpix import HEALPIX_29, healpix_29
from .ingest import LightCurves, resolve_input_files
from .io import write_json_atomic, write_parquet_atomic
from .partition import (
    PartitionSettings,
    plan_partition,
    reduce_shard,
    shards_of_plan,
    split_batch,
    split_table,
)
from .preprocess import PreprocessSettings, check_accounting, preprocess

log = logging.getLogger(__name__)

ZTF_CATALOG = "ztf_lc"


def load_plan(path) -> dict:
    return json.loads(Path(path).read_text())


def run_partition_plan(inventory_path, settings: dict, plan_path, workers: int = 1) -> dict:
    """Plan the shards from the validated inventory's files."""
    inventory = pd.read_parquet(inventory_path)
    files = inventory.loc[inventory["n_objects"] > 0, "path"].tolist()
    shards, plan = plan_partition(files, PartitionSettings.from_config(settings), workers)
    if plan["n_rows"] != int(inventory["n_objects"].sum()):
        raise AssertionError(
            f"plan holds {plan['n_rows']} rows, inventory {inventory['n_objects'].sum()}"
        )
    log.info(
        "%d rows in %d shards (orders %s), %d batches",
        plan["n_rows"],
        len(shards),
        sorted(set(shards.order.tolist())),
        len(plan["batches"]),
    )
    write_json_atomic(plan, plan_path)
    return plan


def run_partition_split(plan_path, batch: int, out_dir) -> dict:
    plan = load_plan(plan_path)
    out = Path(out_dir)
    shutil.rmtree(out, ignore_errors=True)  # a rerun starts clean: no stale pieces
    counts = split_batch(
        plan["batches"][batch], shards_of_plan(plan), plan["settings"]["margin_arcsec"], out
    )
    write_json_atomic(counts, out / "counts.json")
    return counts


def run_partition_reduce(plan_path, shard: str, batch_dirs, shard_path, margin_path) -> dict:
    plan = load_plan(plan_path)
    index = plan["shards"].index(shard)
    counts = reduce_shard(index, batch_dirs, shard_path, margin_path)
    if counts["main_rows"] != plan["shard_rows"][index]:
        raise AssertionError(
            f"shard {shard}: {counts['main_rows']} rows, plan says {plan['shard_rows'][index]}"
        )
    return counts


def run_hats_metadata(plan_path, catalog_dir, margin_dir) -> dict:
    """HATS metadata for the ZTF light-curve shards and their margin; totals must match the plan."""
    plan = load_plan(plan_path)
    shards = shards_of_plan(plan)
    n = write_hats_metadata(catalog_dir, shards, ZTF_CATALOG, "objra", "objdec")
    if n != plan["n_rows"]:
        raise AssertionError(f"HATS catalog holds {n} rows, the plan {plan['n_rows']}")
    m = write_hats_metadata(
        margin_dir,
        shards,
        f"{ZTF_CATALOG}_margin",
        "objra",
        "objdec",
        margin_of=ZTF_CATALOG,
        margin_arcsec=plan["settings"]["margin_arcsec"],
    )
    return {"rows": n, "margin_rows": m}


# --- external catalogs onto the ZTF shards -------------------------------------------------------


def read_catalog_file(path, ra: str, dec: str, required=()) -> pa.Table:
    """An external catalog file; its position columns must exist, be numeric and finite, and
    the ``required`` columns must exist."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputDataError(path, f"not a readable Parquet file ({exc})") from None
    for col in required:
        if col not in table.column_names:
            raise InputDataError(path, "column is missing", column=col)
    for col in (ra, dec):
        if col not in table.column_names:
            raise InputDataError(path, "position column is missing", column=col)
        if not pa.types.is_floating(table.schema.field(col).type):
            raise InputDataError(
                path, f"has type {table.schema.field(col).type}, expected a float", column=col
            )
        bad = ~np.isfinite(table.column(col).to_numpy(zero_copy_only=False))
        if bad.any():
            raise InputDataError(path, f"{int(bad.sum())} NaN positions", column=col)
    return table


def catalog_columns(name: str) -> list[str]:
    """The columns the pipeline reads from an external catalog (besides its positions)."""
    if name == "sdss":
        return ["SPECOBJID", "CLASS", "Z", "ZWARNING"]
    survey = SURVEYS[name]
    return survey.columns + (["ph_qual"] if name == "allwise" else [])


def run_partition_catalog(name: str, spec: dict, plan_path, out_dir, margin_arcsec: float) -> dict:
    """Partition one external catalog onto the ZTF shard set (HATS catalog + margin + counts)."""
    shards = shards_of_plan(load_plan(plan_path))
    out = Path(out_dir)
    shutil.rmtree(out, ignore_errors=True)
    pieces = out / "_pieces"
    totals = {"rows_in": 0, "rows_outside_shards": 0, "margin_rows": 0}
    schema = None
    for fi, path in enumerate(resolve_input_files(spec["path"])):
        table = read_catalog_file(path, spec["ra"], spec["dec"], catalog_columns(name))
        schema = schema or table.schema.append(pa.field(HEALPIX_29, pa.int64()))
        for k, v in split_table(
            table, spec["ra"], spec["dec"], shards, margin_arcsec, pieces, fi, path, outside="drop"
        ).items():
            totals[k] += v
    main, margin = out / name, out / f"{name}_margin"
    for i, shard in enumerate(shards.names):
        reduce_shard(
            i,
            [pieces],
            main / "dataset" / f"{shard}.parquet",
            margin / "dataset" / f"{shard}.parquet",
            id_column=HEALPIX_29,
            schema=schema,
        )
    shutil.rmtree(pieces)
    totals["rows_out"] = write_hats_metadata(main, shards, name, spec["ra"], spec["dec"])
    write_hats_metadata(
        margin,
        shards,
        f"{name}_margin",
        spec["ra"],
        spec["dec"],
        margin_of=name,
        margin_arcsec=margin_arcsec,
    )
    if totals["rows_out"] != totals["rows_in"] - totals["rows_outside_shards"]:
        raise AssertionError(f"catalog {name}: rows do not add up: {totals}")
    write_json_atomic(totals, out / "accounting.json")
    return totals


def run_catalogs_summary(catalog_dirs: dict, out_path) -> dict:
    """Each partitioned catalog's accounting, and where its shards are, in one file."""
    summary = {
        name: {**json.loads((Path(d) / "accounting.json").read_text()), "directory": str(d)}
        for name, d in catalog_dirs.items()
    }
    write_json_atomic(summary, out_path)
    return summary


# --- preprocess and dedup per shard --------------------------------------------------------------

_LC_COLUMNS = ["objectid", "objra", "objdec", "nepochs", "hmjd", "mag", "magerr", "catflags"]


def _light_curves(path) -> LightCurves:
    try:
        table = pq.read_table(path, columns=_LC_COLUMNS)
    except (pa.ArrowException, OSError) as exc:
        raise InputDataError(path, f"not a readable shard file ({exc})") from None
    return LightCurves.from_table(table)


def run_preprocess(shard_path, margin_path, settings: dict, out_path, margin_out_path) -> dict:
    """Preprocess a shard's light curves (and its margin's, for dedup across the border);
    return the shard's accounting (the caller writes it, once complete)."""
    cfg = PreprocessSettings.from_config(settings)
    result = preprocess(_light_curves(shard_path), cfg)
    check_accounting(result.accounting)
    table = pa.Table.from_pandas(result.objects, preserve_index=False)
    hp29 = healpix_29(result.objects["ra"].to_numpy(), result.objects["dec"].to_numpy())
    table = table.append_column(HEALPIX_29, pa.array(hp29))
    offsets = pa.array(result.offsets.astype(np.int32))
    for name, values in (("mjd", result.mjd), ("mag", result.mag), ("magerr", result.magerr)):
        table = table.append_column(name, pa.ListArray.from_arrays(offsets, pa.array(values)))
    write_parquet_atomic(table, out_path)
    margin = preprocess(_light_curves(margin_path), cfg).objects
    write_parquet_atomic(margin[["objectid", "ra", "dec", "n_obs"]], margin_out_path)
    return result.accounting


def run_dedup(preprocessed_path, margin_path, radius_arcsec: float, out_path) -> pd.DataFrame:
    try:
        objects = pd.read_parquet(preprocessed_path, columns=["objectid", "ra", "dec", "n_obs"])
        margin = pd.read_parquet(margin_path)
    except (pa.ArrowException, OSError) as exc:
        raise InputDataError(
            preprocessed_path, f"could not read the shard's objects ({exc})"
        ) from None
    flags = flag_duplicates(objects, margin, radius_arcsec)
    write_parquet_atomic(flags, out_path)
    return flags


def read_catalog_shard(catalog_dir, name: str, shard: str, spec: dict) -> pd.DataFrame:
    """One external catalog's rows on a shard and in its margin (the columns the features use)."""
    columns = [spec["ra"], spec["dec"], *catalog_columns(name)]
    frames = []
    for part in (name, f"{name}_margin"):
        path = Path(catalog_dir) / part / "dataset" / f"{shard}.parquet"
        try:
            frames.append(pd.read_parquet(path, columns=columns))
        except (pa.ArrowException, OSError, KeyError) as exc:
            raise InputDataError(path, f"could not read the catalog shard ({exc})") from None
    return pd.concat(frames, ignore_index=True)


def run_features(
    shard: str, objects_path, dedup_path, catalog_dirs: dict, specs: dict, settings: dict, out_path
) -> dict:
    """The shard's feature table (ZTF scalars, duplicate flag, AllWISE/PS1/Gaia counterparts)."""
    objects = pd.read_parquet(objects_path, columns=[*ZTF_COLUMNS, HEALPIX_29])
    flags = pd.read_parquet(dedup_path, columns=["objectid", "is_duplicate"])
    catalogs = {
        name: (
            read_catalog_shard(directory, name, shard, specs[name]),
            specs[name]["ra"],
            specs[name]["dec"],
        )
        for name, directory in catalog_dirs.items()
    }
    table, counts = shard_features(
        objects, flags, catalogs, settings["radius_arcsec"], settings["wise_upper_limits"]
    )
    table[HEALPIX_29] = objects[HEALPIX_29].to_numpy()
    write_parquet_atomic(table, out_path)
    return counts


def run_shard(
    plan_path,
    shard: str,
    batch_dirs,
    out,
    preprocess_settings: dict,
    dedup_radius_arcsec: float,
    catalogs_summary,
    catalog_specs: dict,
    crossmatch_settings: dict,
) -> dict:
    """Everything one shard needs, in one job: reduce → preprocess → dedup → crossmatch.

    ``out`` names the outputs: lightcurves, lightcurves_margin, objects, objects_margin,
    dedup, features, accounting (written last).
    """
    counts = run_partition_reduce(
        plan_path, shard, batch_dirs, out.lightcurves, out.lightcurves_margin
    )
    acc = run_preprocess(
        out.lightcurves,
        out.lightcurves_margin,
        preprocess_settings,
        out.objects,
        out.objects_margin,
    )
    flags = run_dedup(out.objects, out.objects_margin, dedup_radius_arcsec, out.dedup)
    acc["duplicates_flagged"] = int(flags["is_duplicate"].sum())
    catalog_dirs = {
        name: info["directory"]
        for name, info in json.loads(Path(catalogs_summary).read_text()).items()
    }
    acc["crossmatch"] = run_features(
        shard,
        out.objects,
        out.dedup,
        catalog_dirs,
        catalog_specs,
        crossmatch_settings,
        out.features,
    )
    write_json_atomic(acc, out.accounting)
    log.info(
        "shard %s: %d rows (+%d margin), %d kept, %d flagged duplicate",
        shard,
        counts["main_rows"],
        counts["margin_rows"],
        acc["objects_out"],
        int(flags["is_duplicate"].sum()),
    )
    return acc


def run_preprocess_summary(inventory_path, accounting_paths, out_path) -> dict:
    """Sum the per-shard accounting; every input object must be accounted for."""
    inventory = pd.read_parquet(inventory_path)
    total: dict = {
        "objects_in": 0,
        "epochs_in": 0,
        "objects_out": 0,
        "nights_out": 0,
        "duplicates_flagged": 0,
        "epochs_dropped": {},
        "objects_dropped": {},
        "crossmatch": {},
    }
    for path in accounting_paths:
        acc = json.loads(Path(path).read_text())
        for key in ("objects_in", "epochs_in", "objects_out", "nights_out", "duplicates_flagged"):
            total[key] += acc[key]
        if acc["crossmatch"]["objects"] != acc["objects_out"]:
            raise AssertionError(f"{path}: the feature table does not hold every object")
        for group in ("epochs_dropped", "objects_dropped", "crossmatch"):
            for reason, n in acc[group].items():
                total[group][reason] = total[group].get(reason, 0) + n
    check_accounting(total)
    expected = int(inventory["n_objects"].sum()), int(inventory["n_epochs"].sum())
    if (total["objects_in"], total["epochs_in"]) != expected:
        raise AssertionError(
            f"shards hold {total['objects_in']} objects / {total['epochs_in']} "
            f"epochs, the inputs {expected[0]} / {expected[1]}"
        )
    total["n_shards"] = len(accounting_paths)
    write_json_atomic(total, out_path)
    return total
