"""How many of a finished run's catalog rows lie outside the labelled set's support, and, on the
simulated sky, what they are.

``python -m qzo.studies.label_support RESULTS_DIR --config CONFIG [CONFIG ...] --out DIR
[--quantiles Q ...]`` (RESULTS_DIR: a run with its catalogs; CONFIG: its config files)

The support is :mod:`qzo.models.support`'s, fitted on the train split and scaled by the val
split with the run's ``catalog.label_support`` settings, for each ``quantile`` (default 0.95
and 0.99; the catalogs' ``label_distance`` uses the config's). ``label_support.csv``/``.md``
give, per quantile, for QZO and QZO_calibrated as the run wrote them and for the test split's
objects: the rows inside the support (distance ≤ 1) and outside; on a simulated sky also the
true QSOs, the true purity and the long-period variables among them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from qzo.models.support import SUPPORT_COLUMNS, fit_on_splits, label_distance
from qzo.products.evaluate import read_truth, write_table
from qzo.studies import study_config, study_parser

#: The catalogs the study reads from the run's ``catalog`` folder.
CATALOGS = ("QZO", "QZO_calibrated")
LONG_PERIOD_VARIABLE = "star: lpv"


def support_rows(
    name: str, distance: pd.Series, quantile: float, truth_kinds: pd.Series | None
) -> list[dict]:
    """The rows of one selection (objects' ``distance`` indexed by objectid): all, inside and
    outside the support, with the truth's counts when given."""
    rows = []
    values = distance.to_numpy()
    for part, keep in (
        ("all", np.ones(len(values), bool)),
        ("inside", values <= 1),
        ("outside", values > 1),
    ):
        ids = distance.index[keep]
        row: dict = {"quantile": quantile, "selection": name, "part": part, "rows": len(ids)}
        row["share"] = len(ids) / len(distance) if len(distance) else float("nan")
        if truth_kinds is not None:
            kinds = truth_kinds.reindex(ids).astype(str)
            qsos = int(kinds.str.startswith("qso").sum())
            row["true_qsos"] = qsos
            row["true_purity"] = qsos / len(ids) if len(ids) else float("nan")
            row["long_period_variables"] = int((kinds == LONG_PERIOD_VARIABLE).sum())
        rows.append(row)
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = study_parser(__doc__)
    parser.add_argument("--quantiles", type=float, nargs="+", default=[0.95, 0.99])
    args = parser.parse_args(argv)
    config, _ = study_config(args)
    settings = config["catalog"]["label_support"]  # neighbours and sample size, as the run's
    labels = pd.read_parquet(
        args.results / "labels" / "training_set.parquet", columns=["objectid", "split"]
    )
    features = pd.read_parquet(
        args.results / "features" / "dataset", columns=["objectid", *SUPPORT_COLUMNS]
    ).set_index("objectid")
    labelled = features.loc[labels["objectid"]].assign(split=labels["split"].to_numpy())
    selections = {
        name: pd.read_parquet(args.results / "catalog" / f"{name}.parquet", columns=["ID"])["ID"]
        for name in CATALOGS
    }
    selections["test split"] = labels.loc[labels["split"] == "test", "objectid"]
    simulated = args.results / "simulated" / "truth"
    kinds = None
    if (simulated / "sources.parquet").exists():
        kinds = read_truth(simulated / "sources.parquet", simulated / "objects.parquet").kinds
    rows = []
    for quantile in args.quantiles:
        support = fit_on_splits(labelled, settings, quantile)
        for name, ids in selections.items():
            distance = pd.Series(label_distance(support, features.loc[ids]), index=ids.to_numpy())
            rows.extend(support_rows(name, distance, quantile, kinds))
    args.out.mkdir(parents=True, exist_ok=True)
    caption = (
        f"The catalogs of {args.results} inside and outside the labelled set's support "
        f"(qzo.models.support: distance to the {settings['neighbours']}th nearest train-split "
        "object, in units of the val split's quantile of the same distance); on a simulated sky "
        "with the true QSOs, purity and long-period variables."
    )
    out = args.out / "label_support.md"
    write_table(pd.DataFrame(rows), out.with_suffix(".csv"), out, caption)
    print(out.read_text())


if __name__ == "__main__":
    main()
