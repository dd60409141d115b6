"""Stage of ``rules/inventory.smk``: every ZTF light-curve file validated and listed."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from qzo.io import StrPath
from qzo.io.atomic import write_json_atomic, write_parquet_atomic
from qzo.io.inputs import resolve_input_files
from qzo.io.ztf_files import (
    build_inventory,
    check_band,
    check_unique_objectids,
    inventory_summary,
)

log = logging.getLogger(__name__)


def ztf_inventory(
    *,
    lightcurves: str | Sequence[str],
    band: str,
    table: StrPath,
    summary: StrPath,
    workers: int = 1,
) -> dict:
    """Validate every file that ``lightcurves`` (a glob or list of globs) names, in ``workers``
    processes: its columns and values, objectids that encode its field, filter and quadrant, a
    file name that says what it holds, objects of ``band`` only, and no objectid in two files.
    Writes one row per file to ``table`` and the totals to ``summary``."""
    inventory = build_inventory(resolve_input_files(lightcurves), workers=workers)
    check_band(inventory, band)
    check_unique_objectids(inventory)
    totals = inventory_summary(inventory, band)
    log.info(
        "validated %d files: %d objects, %d epochs",
        totals["n_files"],
        totals["n_objects"],
        totals["n_epochs"],
    )
    write_parquet_atomic(inventory, table)
    write_json_atomic(totals, summary)
    return totals
