"""Simulate the whole sky: sources, ZTF DR light-curve files, ancillary catalogs and the truth.

Work is split into units of one primary field quadrant (a HEALPix order-6 pixel inside an order-3
"field" pixel). A unit writes its primary file and the secondary-grid file holding its duplicates,
so one source's variability is drawn once and seen consistently by both. Each unit has its own
random stream, so the output does not depend on the number of worker processes.
"""

from __future__ import annotations

import logging
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import healpy as hp
import numpy as np
import pandas as pd
import pyarrow as pa
from tqdm import tqdm

from qzo.config.settings import PartitionSettings
from qzo.io import StrPath
from qzo.io.atomic import write_json_atomic, write_parquet_atomic
from qzo.io.inputs import SIMULATION_LAYOUT
from qzo.io.ztf_format import FILTER_IDS, DRFileName
from qzo.simulate.extinction import redden
from qzo.simulate.schedule import field_exposures
from qzo.simulate.sky import galactic_latitude, offset_positions, sample_sources
from qzo.simulate.surveys import POSITION_COLUMNS, simulate_surveys
from qzo.simulate.variability import VariabilityModel, assign_variability
from qzo.simulate.ztf import observe_file, write_dr_file
from qzo.sky.hats_convert import files_to_hats, table_to_hats
from qzo.sky.nested import ang2pix_nested

log = logging.getLogger(__name__)

FIELD_ORDER, QUADRANT_ORDER = 3, 6
SECONDARY_FIELD_OFFSET = 1000
_SECONDARY_RCID_SHIFT = 32
_PLANE_DEG = 15.0  # fields closer to the plane get the nightly plane-survey cadence
_UNIT_COLUMNS = [
    "source_id",
    "mag_g",
    "g_r",
    "var_type",
    "tau",
    "sf_inf",
    "period",
    "amplitude",
    "var_seed",
    "extendedness",
    "ztf_ra",
    "ztf_dec",
    "dup_ra",
    "dup_dec",
    "is_duplicated",
]


@dataclass(frozen=True)
class SimulatedSkyPaths:
    """Where each simulated product goes: the ZTF file tree, one Parquet table per external
    catalog, the two truth tables and the manifest."""

    manifest: Path
    ztf: Path
    allwise: Path
    ps1: Path
    gaia: Path
    sdss_specobj: Path
    truth_sources: Path
    truth_objects: Path
    hats_catalogs: Path

    @classmethod
    def in_directory(cls, output_dir: StrPath) -> SimulatedSkyPaths:
        """The workflow's layout (:data:`qzo.io.inputs.SIMULATION_LAYOUT`) under ``output_dir``."""
        return cls(**{k: Path(output_dir) / v for k, v in SIMULATION_LAYOUT.items()})


def _ztf_positions(src: pd.DataFrame, cfg: dict, rng: np.random.Generator) -> pd.DataFrame:
    """ZTF positions (astrometric scatter) and, for duplicated sources, the second objectid's."""
    n = len(src)
    sep = 0.06 * np.sqrt(-2 * np.log(rng.random(n)))
    src["ztf_ra"], src["ztf_dec"] = offset_positions(
        src["ra"].to_numpy(), src["dec"].to_numpy(), sep, rng.uniform(0, 2 * np.pi, n)
    )
    src["is_duplicated"] = rng.random(n) < cfg["duplicate_fraction"]
    src["dup_ra"], src["dup_dec"] = offset_positions(
        src["ztf_ra"].to_numpy(),
        src["ztf_dec"].to_numpy(),
        rng.uniform(0.1, 0.5, n),
        rng.uniform(0, 2 * np.pi, n),
    )
    field_pix = ang2pix_nested(FIELD_ORDER, src["ztf_ra"], src["ztf_dec"])
    quad_pix = ang2pix_nested(QUADRANT_ORDER, src["ztf_ra"], src["ztf_dec"])
    src["field_pix"] = field_pix
    src["rcid"] = quad_pix - field_pix * 4 ** (QUADRANT_ORDER - FIELD_ORDER)
    return src


def _simulate_unit(args: tuple) -> list[tuple[str, pd.DataFrame]]:
    unit, field_pix, rcid, cfg, out_dir = args
    seed = cfg["seed"]
    rng = np.random.default_rng([seed, 1, field_pix, rcid])
    model = VariabilityModel(unit, rng)
    ra_c, dec_c = hp.pix2ang(2**FIELD_ORDER, field_pix, nest=True, lonlat=True)
    written = []
    targets = [(False, field_pix + 1, rcid, np.arange(len(unit)), "ztf")]
    dup_rows = np.flatnonzero(unit["is_duplicated"].to_numpy())
    if len(dup_rows):
        targets.append(
            (
                True,
                SECONDARY_FIELD_OFFSET + field_pix + 1,
                (rcid + _SECONDARY_RCID_SHIFT) % 64,
                dup_rows,
                "dup",
            )
        )
    for band in cfg["bands"]:
        for secondary, fieldid, file_rcid, rows, pos in targets:
            exp_rng = np.random.default_rng([seed, 2, fieldid, FILTER_IDS[band]])
            exposures = field_exposures(
                ra_c,
                dec_c,
                band,
                cfg,
                exp_rng,
                secondary=secondary,
                plane=bool(abs(galactic_latitude(ra_c, dec_c)) < _PLANE_DEG),
            )
            view = unit.copy()
            view["ztf_ra"], view["ztf_dec"] = view[f"{pos}_ra"], view[f"{pos}_dec"]
            rows = rows[np.argsort(view["ztf_dec"].to_numpy()[rows], kind="stable")]
            epochs = observe_file(view, model, rows, exposures, band, rng)
            name = DRFileName(fieldid, band, int(file_rcid), cfg["data_release"])
            path, ids = write_dr_file(
                Path(out_dir), name, view.iloc[rows], epochs, cfg["hmjd_dtype"]
            )
            ids["is_secondary"] = secondary
            written.append((str(path), ids))
    return written


def simulate_sky(
    cfg: dict,
    paths: SimulatedSkyPaths,
    workers: int = 1,
    progress: bool = True,
    partition: PartitionSettings | None = None,
) -> dict:
    """Write the simulated sky to ``paths``; return the manifest (also written there), whose
    file names are relative to the manifest's directory. With ``cfg["format"] == "hats"`` the
    light curves become a HATS collection in ``paths.ztf`` instead (partitioned by
    ``partition``), the same sky as the per-field files of the same config."""
    if cfg["format"] == "hats" and partition is None:
        raise ValueError("simulation.format 'hats' needs the partition settings")
    root = np.random.SeedSequence(cfg["seed"])
    src_rng, pos_rng, survey_rng = (np.random.default_rng(s) for s in root.spawn(3))
    src = assign_variability(sample_sources(cfg, src_rng), src_rng)
    src = redden(src, cfg["extinction"], src_rng)
    src = _ztf_positions(src, cfg, pos_rng)

    ztf_dir = paths.ztf if cfg["format"] == "files" else paths.ztf.with_name(".ztf_files.partial")
    shutil.rmtree(ztf_dir, ignore_errors=True)
    groups = src.groupby(["field_pix", "rcid"], sort=True).indices
    jobs = [
        (
            src.iloc[idx][_UNIT_COLUMNS].reset_index(drop=True),
            int(fp),
            int(rc),
            cfg,
            str(ztf_dir),
        )
        for (fp, rc), idx in groups.items()
    ]
    log.info(
        "simulating %d sources in %d field quadrants with %d workers", len(src), len(jobs), workers
    )
    results = []
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            it = pool.map(_simulate_unit, jobs, chunksize=1)
            results = list(tqdm(it, total=len(jobs), disable=not progress, desc="simulate"))
    else:
        results = [_simulate_unit(j) for j in tqdm(jobs, disable=not progress, desc="simulate")]
    files = sorted(p for unit in results for p, _ in unit)
    hats: dict[str, dict[str, int]] | None = None
    if cfg["format"] == "hats":
        assert partition is not None
        shutil.rmtree(paths.ztf, ignore_errors=True)
        hats = {"ztf": files_to_hats(files, paths.ztf, partition, cfg["hats_margin_arcsec"])}
        shutil.rmtree(ztf_dir)
        files = []
    objects = pd.concat([ids for unit in results for _, ids in unit], ignore_index=True)
    objects = objects.sort_values("objectid", kind="stable").reset_index(drop=True)

    catalogs = simulate_surveys(src, cfg, survey_rng)
    for name, (table, _, _) in catalogs.items():
        write_parquet_atomic(table, getattr(paths, name))
    if hats is not None:
        assert partition is not None
        shutil.rmtree(paths.hats_catalogs, ignore_errors=True)
        for name, (ra, dec) in POSITION_COLUMNS.items():
            table = pa.Table.from_pandas(catalogs[name][0], preserve_index=False)
            hats[name] = table_to_hats(
                table,
                paths.hats_catalogs / name,
                name,
                ra,
                dec,
                partition,
                cfg["hats_margin_arcsec"],
            )

    truth = src.drop(columns=["field_pix", "rcid", "var_seed"]).copy()
    for name, (_, source_ids, cat_ids) in catalogs.items():
        if name == "sdss_specobj":
            truth["n_sdss_spectra"] = np.bincount(source_ids, minlength=len(src))[
                truth["source_id"]
            ]
        else:
            ids = np.full(len(src), -1, dtype=np.int64)
            ids[source_ids] = cat_ids
            truth[f"{name}_id"] = ids[truth["source_id"]]
    truth["n_objectids"] = np.bincount(objects["source_id"], minlength=len(src))[truth["source_id"]]
    write_parquet_atomic(truth, paths.truth_sources)
    write_parquet_atomic(objects, paths.truth_objects)
    manifest_dir = paths.manifest.parent

    manifest = {
        "seed": cfg["seed"],
        "n_sources": len(src),
        "n_objectids": len(objects),
        "n_epochs": int(objects["nepochs"].sum()),
        "format": cfg["format"],
        "ztf_files": [os.path.relpath(p, manifest_dir) for p in files],
        "hats": hats,
        "catalog_rows": {name: len(t) for name, (t, _, _) in catalogs.items()},
        "layout": {
            name: os.path.relpath(path, manifest_dir)
            for name, path in vars(paths).items()
            if name != "manifest"
        },
    }
    write_json_atomic(manifest, paths.manifest)
    return manifest
