"""Benchmark `simulate`: light curves written per second, for about one million light curves.

Target (issue 2): 1,000,000 light curves in under 5 minutes on 2 cores.
"""

from __future__ import annotations

import os
import shutil
import time

from qzo.config import load_config
from qzo.simulate.run import SimulatedSkyPaths, simulate_sky

from .common import workdir, write_result

#: Sources per light curve: duplicates give ~1.3 objectids per source in the default sky.
N_SOURCES = int(os.environ.get("QZO_BENCH_SIM_SOURCES", 770_000))


def main() -> dict:
    cfg = load_config(overrides={"simulation": {"n_sources": N_SOURCES}})["simulation"]
    out = workdir("simulate")
    workers = os.cpu_count() or 1
    t0 = time.perf_counter()
    manifest = simulate_sky(
        cfg, SimulatedSkyPaths.in_directory(out), workers=workers, progress=False
    )
    wall = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    shutil.rmtree(out)
    n = manifest["n_objectids"]
    return write_result(
        "simulate",
        "light curves written per second",
        n / wall,
        "light curves/s",
        n_light_curves=n,
        n_epochs=manifest["n_epochs"],
        n_sources=N_SOURCES,
        wall_s=round(wall, 1),
        workers=workers,
        output_mb=round(size / 2**20, 1),
        target="1e6 light curves in < 300 s",
        meets_target=bool(n >= 9.5e5 and wall < 300),
    )


if __name__ == "__main__":
    main()
