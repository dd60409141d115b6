"""Benchmarks `xgb_infer` and `catalog_merge`.

`xgb_infer`: rows per second through the catalog's three boosters (ZTF, ZTF + WISE classifiers
and the redshift regressor, the paper's parameters, trained here on synthetic features) for
500,000 objects, one process. `catalog_merge`: rows per second through the catalog job (checks,
CSV + Parquet of ZTF_all_QSO and QZO, the HATS copy) over those rows in 4 groups on the
12 order-0 shards. Neither has a baseline in the issue (null).
"""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd

from qzo.config import XGBSettings, default_config
from qzo.io.atomic import write_parquet_atomic
from qzo.lightcurves.crossmatch import WISE
from qzo.models.xgb import (
    CATALOG_MODELS,
    MODEL_NAMES,
    REDSHIFT_FEATURES,
    features_of,
    fit_classifier,
    fit_regressor,
    save_model,
)
from qzo.products.catalog import load_models, predict_objects
from qzo.sky.healpix import ShardSet, healpix_29
from qzo.stages.catalog import catalog

from .common import REPO, workdir, write_result

N_ROWS = 500_000
N_TRAIN = 40_000

SETTINGS = XGBSettings.from_config(default_config()["xgb"], threads=2)


def synthetic_features(n: int, rng) -> pd.DataFrame:
    """Objects with the feature columns of the pipeline: a class-dependent signal plus noise,
    WISE missing for ~60% of objects."""
    label = rng.integers(0, 3, n)
    p = rng.dirichlet(np.ones(3), n) * 0.5 + 0.5 * np.eye(3)[label]
    frame = pd.DataFrame(
        {
            "objectid": np.arange(n, dtype=np.int64) + 10**14,
            "ra": rng.uniform(0, 90, n),
            "dec": rng.uniform(0, 60, n),
            "n_obs": rng.integers(20, 600, n).astype(np.int32),
            "is_duplicate": rng.random(n) < 0.3,
            "mag_median": rng.uniform(15, 21.5, n).astype(np.float32),
            "snr_mean": rng.uniform(2, 100, n).astype(np.float32),
            "timespan": rng.uniform(500, 2000, n).astype(np.float32),
            "p_lc_galaxy": p[:, 0],
            "p_lc_QSO": p[:, 1],
            "p_lc_star": p[:, 2],
            "label": label,
            "z": np.where(label == 1, rng.uniform(0.3, 3.5, n), 0.0),
        }
    )
    has_wise = rng.random(n) < 0.4
    mags = 14 + label[:, None] * 0.5 + rng.normal(0, 0.5, (n, 4)) - np.arange(4)
    for k, name in enumerate(("w1", "w2", "w3", "w4")):
        frame[f"wise_{name}"] = np.where(has_wise, mags[:, k], np.nan)
    for a, b in WISE.colours:
        frame[f"wise_{a}_{b}"] = frame[f"wise_{a}"] - frame[f"wise_{b}"]
    frame["wise_sep_arcsec"] = np.where(has_wise, rng.uniform(0, 1, n), np.nan).astype(np.float32)
    frame["_healpix_29"] = healpix_29(frame["ra"].to_numpy(), frame["dec"].to_numpy())
    frame["in_training_set"] = False  # set by predict_shard from the training predictions
    frame["label_distance"] = np.float32(0.0)  # set by predict_shard from the label support
    return frame


def train_models(directory, rng) -> None:
    settings = SETTINGS
    train, val = synthetic_features(N_TRAIN, rng), synthetic_features(N_TRAIN // 8, rng)
    for name, sets in CATALOG_MODELS.items():
        model = fit_classifier(train, val, features_of(sets), "label", settings)
        save_model(model, directory / f"{name}.json")
    qso_train, qso_val = train[train["label"] == 1], val[val["label"] == 1]
    regressor = fit_regressor(
        qso_train.dropna(subset=["wise_w1"]),
        qso_val.dropna(subset=["wise_w1"]),
        REDSHIFT_FEATURES,
        "z",
        settings,
    )
    save_model(regressor, directory / "redshift.json")


def main() -> list[dict]:
    work = workdir("xgb_infer")
    rng = np.random.default_rng(0)
    train_models(work, rng)
    models = load_models({name: work / f"{name}.json" for name in MODEL_NAMES})
    objects = synthetic_features(N_ROWS, rng)
    predict_objects(objects.iloc[:1000], models)  # warm-up
    t0 = time.perf_counter()
    table = predict_objects(objects, models)
    t_infer = time.perf_counter() - t0
    trees = {k: int(m.num_boosted_rounds()) for k, m in models.items()}
    results = [
        write_result(
            "xgb_infer",
            "objects through the three boosters per second (one process)",
            N_ROWS / t_infer,
            "rows/s",
            n_rows=N_ROWS,
            seconds=round(t_infer, 3),
            boosting_rounds=trees,
            threads=SETTINGS.threads,
        )
    ]
    # catalog_merge: the same rows as 4 groups on the 12 order-0 shards.
    shards = ShardSet(order=np.zeros(12, int), npix=np.arange(12))
    own = shards.lookup(table["_healpix_29"].to_numpy())
    groups = []
    for g, chunk in enumerate(np.array_split(np.unique(own), 4)):
        rows = table[np.isin(own, chunk)].assign(
            shard=np.array(shards.names)[own[np.isin(own, chunk)]]
        )
        path = work / f"group{g}.parquet"
        write_parquet_atomic(rows, path)
        groups.append(path)
    (work / "summary.json").write_text(json.dumps({"objects_out": N_ROWS}))
    (work / "plan.json").write_text(json.dumps({"shards": shards.names}))
    train = table.iloc[:1000].assign(**{"class": "QSO", "z": 1.0, "split": "test"})
    write_parquet_atomic(train, work / "train.parquet")
    out = {
        f"{n}_{x}": work / "out" / f"{n}.{x}"
        for n in ("all_qso", "qzo", "train")
        for x in ("csv", "parquet")
    }
    out |= {"hats": work / "out" / "hats", "summary": work / "out" / "summary.json"}
    cuts = default_config()["catalog"]
    t0 = time.perf_counter()
    counts = catalog(
        groups=groups,
        preprocess_summary=work / "summary.json",
        training_predictions=work / "train.parquet",
        plan=work / "plan.json",
        columns=REPO / "resources" / "catalog_columns.yaml",
        cuts=cuts,
        **out,
    )
    t_merge = time.perf_counter() - t0
    results.append(
        write_result(
            "catalog_merge",
            "rows merged per second (checks, CSV + Parquet catalogs, HATS copy)",
            N_ROWS / t_merge,
            "rows/s",
            n_rows=N_ROWS,
            n_groups=len(groups),
            seconds=round(t_merge, 3),
            ztf_all_qso_rows=counts["ZTF_all_QSO"],
            qzo_rows=counts["QZO"],
        )
    )
    return results


if __name__ == "__main__":
    main()
