"""Stage of ``rules/simulate.smk``: the simulated ZTF sky (the embedded default)."""

from __future__ import annotations

from pathlib import Path

from qzo.config.settings import PartitionSettings
from qzo.io import StrPath
from qzo.simulate.run import SimulatedSkyPaths, simulate_sky


def simulate(
    *,
    simulation: dict,
    manifest: StrPath,
    ztf: StrPath,
    allwise: StrPath,
    ps1: StrPath,
    gaia: StrPath,
    sdss: StrPath,
    truth_sources: StrPath,
    truth_objects: StrPath,
    partition: dict,
    hats_catalogs: StrPath | None = None,
    workers: int = 1,
) -> dict:
    """ZTF DR light-curve files under ``ztf`` (or, with ``simulation.format: hats``, a HATS
    collection there, partitioned as config section ``partition`` would shard the files), the
    AllWISE, PS1, Gaia and SDSS specObj tables (and, with ``format: hats``, the first three
    as HATS collections in ``hats_catalogs`` too),
    the truth (sources, objects) and the manifest, from the config section ``simulation``."""
    paths = SimulatedSkyPaths(
        manifest=Path(manifest),
        ztf=Path(ztf),
        allwise=Path(allwise),
        ps1=Path(ps1),
        gaia=Path(gaia),
        sdss_specobj=Path(sdss),
        truth_sources=Path(truth_sources),
        truth_objects=Path(truth_objects),
        hats_catalogs=Path(hats_catalogs or Path(manifest).parent / "hats_catalogs"),
    )
    return simulate_sky(
        simulation,
        paths,
        workers=workers,
        progress=False,
        partition=PartitionSettings.from_config(partition),
    )
