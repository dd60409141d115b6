"""What the Snakefile needs while it is parsed: input globs and the simulated sky's layout.

Every cluster job parses the workflow again, so this module imports nothing heavy (no NumPy,
pandas, Arrow or healpy): it keeps the per-job start-up of tens of thousands of jobs short.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from pathlib import Path

from qzo.errors import InputDataError
from qzo.io import StrPath

#: Where each product lands inside the simulation output directory.
SIMULATION_LAYOUT = {
    "ztf": "ztf",
    "allwise": "allwise.parquet",
    "ps1": "ps1.parquet",
    "gaia": "gaia.parquet",
    "sdss_specobj": "sdss_specobj.parquet",
    "truth_sources": "truth/sources.parquet",
    "truth_objects": "truth/objects.parquet",
    "manifest": "manifest.json",
    # With simulation.format: hats, AllWISE, PS1 and Gaia also as HATS collections in here.
    "hats_catalogs": "hats_catalogs",
}


def resolve_input_files(spec: str | Sequence[str], base_dir: StrPath = ".") -> list[Path]:
    """Expand a glob (``**`` allowed) or a list of paths/globs into a sorted, unique file list.

    Relative patterns are taken relative to ``base_dir``. A pattern that matches nothing is an
    error, so a typo in the config never silently yields an empty sky.
    """
    patterns = [spec] if isinstance(spec, str) else list(spec)
    files: set[Path] = set()
    for pattern in patterns:
        full = pattern if Path(pattern).is_absolute() else str(Path(base_dir) / pattern)
        matches = [Path(p) for p in glob.glob(full, recursive=True) if Path(p).is_file()]
        if not matches:
            raise InputDataError(pattern, "no light-curve file matches this path or pattern")
        files.update(matches)
    return sorted(files)
