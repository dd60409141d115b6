"""Benchmark `label_support` and the label distance of `xgb_infer`: the support fitted on the
paper's 483,000 labelled objects (synthetic features, two fifths with WISE) with its unit from
60,000 more, with the default ``catalog.label_support`` (a sample of at most 50,000 labelled
objects of each kind), then objects per second through
:func:`qzo.models.support.label_distance` (the distance to the 5th nearest labelled object),
200,000 objects, one process. No baseline in an issue (null)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from qzo.config import default_config
from qzo.models.support import SUPPORT_COLUMNS, WISE_SUPPORT, fit_label_support, label_distance

from .common import write_result

N_LABELLED, N_REFERENCE, N_OBJECTS = 483_000, 60_000, 200_000


def synthetic(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Support columns with a few classes' worth of structure: three clusters, log-normal
    statistics, WISE for two fifths."""
    centre = rng.integers(0, 3, n)[:, None] * 0.5
    values = np.exp(rng.normal(centre, 0.4, (n, len(SUPPORT_COLUMNS))))
    frame = pd.DataFrame(values, columns=SUPPORT_COLUMNS)
    frame.loc[rng.random(n) >= 0.4, WISE_SUPPORT] = np.nan
    return frame


def main() -> dict:
    rng = np.random.default_rng(0)
    labelled, reference = synthetic(N_LABELLED, rng), synthetic(N_REFERENCE, rng)
    objects = synthetic(N_OBJECTS, rng)
    settings = default_config()["catalog"]["label_support"]
    t0 = time.perf_counter()
    support = fit_label_support(
        labelled,
        reference,
        neighbours=settings["neighbours"],
        quantile=settings["quantile"],
        max_labelled=settings["max_labelled"],
    )
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    distance = label_distance(support, objects)
    query_s = time.perf_counter() - t0
    return write_result(
        "label_support",
        "objects per second through label_distance (483k labels, default settings)",
        N_OBJECTS / query_s,
        "objects/s",
        n_labelled=N_LABELLED,
        max_labelled=settings["max_labelled"],
        n_reference=N_REFERENCE,
        n_objects=N_OBJECTS,
        fit_s=round(fit_s, 1),
        query_s=round(query_s, 1),
        outside_share=round(float((distance > 1).mean()), 4),
    )


if __name__ == "__main__":
    main()
