"""Why the transformer does (or does not) carry the classification: ablations on a finished
run's training set, scored on its test split beside the shallow baseline on the same split.

``python -m qzo.studies.transformer RESULTS_DIR --config CONFIG [CONFIG ...] --out FILE.json
[--variants a,b] [--fractions [F,F,...]] [--seed N]`` (CONFIG: the run's config files)

Each variant trains stage 1 (optionally) and stage 2 with the run's settings changed as the
variant says, always to early stopping (the epoch cap is lifted to 200), and reports the
transformer alone (argmax of its probabilities) on the test split, its best validation loss
and epochs, and the wall time. The baselines are XGBoost (the run's ``xgb`` settings) on the
shallow light-curve features + ``mag_median``, on the shallow features that use neither the
errors nor the magnitude (what a transformer without ``error_input`` sees), and on
``mag_median`` + ``n_obs`` + ``timespan`` alone. ``--fractions`` repeats the baselines and the
named variants on 25 %, 50 % and 100 % of the train split (a seeded subset of light curves),
or on the fractions listed: the learning curve. Results are appended to ``FILE.json`` as each
run ends, so a long study can be read while it runs.
"""

from __future__ import annotations

import itertools
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from qzo.config.settings import AstromerSettings
from qzo.lightcurves.features import ERROR_WEIGHTED, feature_names
from qzo.models.metrics import class_scores
from qzo.models.xgb import QSO, features_of
from qzo.studies import study_config, study_parser
from qzo.training.stacking import fit_and_score
from qzo.training.training_set import read_features

#: Variants: changes to the run's ``astromer`` section (``pretrain: false`` skips stage 1).
VARIANTS: dict[str, dict[str, Any]] = {
    "run_settings": {},
    "no_pretraining": {"pretrain": False},
    "magnitude_scale_10": {"magnitude_scale": 10.0},
    "magnitude_scale_10_no_pretraining": {"magnitude_scale": 10.0, "pretrain": False},
    "macho_init": {"init_weights": "resources/astromer/astromer_v1_macho_weights.zip"},
    "macho_init_no_pretraining": {
        "init_weights": "resources/astromer/astromer_v1_macho_weights.zip",
        "pretrain": False,
    },
    "wide_d256_scale_10": {"d_model": 256, "dff": 128, "magnitude_scale": 10.0},
    "magnitude_scale_10_sky": {"magnitude_scale": 10.0, "pretrain_data": "sky"},
    "magnitude_scale_10_sky_patience_5": {
        "magnitude_scale": 10.0,
        "pretrain_data": "sky",
        "finetune": {"patience": 5},
    },
    "magnitude_scale_10_no_pretraining_patience_5": {
        "magnitude_scale": 10.0,
        "pretrain": False,
        "finetune": {"patience": 5},
    },
}
#: The encoder's and head's departures from the paper (docs/method.md), combinable: variant
#: ``no_pretraining_<names>`` / ``sky_<names>`` is the no-pretraining / sky-pretraining setting
#: above with the named departures, in this order, joined by ``_``
#: (e.g. ``sky_mean_std_error_input``).
DEPARTURES: dict[str, dict[str, Any]] = {
    "mean_std": {"pooling": "mean_std"},
    "key_mask": {"key_mask": True},
    "residual": {"residual": True},
    "error_input": {"error_input": True},
    "difference_input": {"difference_input": True},
    "local_mean": {"local_mean_days": 90.0},
    "plateau": {"finetune": {"schedule": "plateau"}},
}


def _departure_variants() -> dict[str, dict[str, Any]]:
    bases = {
        "no_pretraining": VARIANTS["magnitude_scale_10_no_pretraining_patience_5"],
        "sky": VARIANTS["magnitude_scale_10_sky_patience_5"],
    }
    out = {}
    for k in range(1, len(DEPARTURES) + 1):
        for names in itertools.combinations(DEPARTURES, k):
            for base, settings in bases.items():
                variant = dict(settings)
                for name in names:
                    for key, value in DEPARTURES[name].items():
                        # A training stage's keys add to the base's (e.g. its patience).
                        nested = isinstance(value, dict)
                        variant[key] = {**variant.get(key, {}), **value} if nested else value
                out["_".join((base, *names))] = variant
    return out


VARIANTS.update(_departure_variants())
MAX_EPOCHS = 200


def _subset(train: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """A seeded ``fraction`` of the rows of the boolean ``train`` mask."""
    if fraction >= 1:
        return train
    rows = np.flatnonzero(train)
    keep = np.random.default_rng(seed).permutation(rows)[: round(fraction * len(rows))]
    mask = np.zeros_like(train)
    mask[keep] = True
    return mask


def transformer_variant(
    results: Path,
    training_set: pa.Table,
    train: np.ndarray,
    astromer: dict,
    change: dict,
    work: Path,
) -> dict:
    """Stage 1 (unless ``change['pretrain']`` is false; on the training set, or on the run's
    sky when ``pretrain_data`` is ``sky``) and stage 2 from the run's settings with ``change``
    applied; the transformer alone on the test split."""
    from qzo.models.astromer.fitting import (
        class_probabilities,
        finetune_classifier,
        initial_encoder,
        pretrain_encoder,
        sky_sample,
        split_mask,
    )
    from qzo.models.astromer.train import seed_training

    change = dict(change)
    do_pretrain = change.pop("pretrain", True)
    stages = {s: change.pop(s, {}) for s in ("pretrain", "finetune")}
    section = {**astromer, "pretrain_data": "training_set", **change}
    for stage in ("pretrain", "finetune"):
        section[stage] = {**astromer[stage], **stages[stage], "epochs": MAX_EPOCHS}
    settings = AstromerSettings.from_config(section)
    t0 = time.perf_counter()
    if do_pretrain:
        data = training_set
        if settings.pretrain_data == "sky":
            total = json.loads((results / "preprocess" / "summary.json").read_text())
            shards = sorted((results / "preprocess" / "dataset").rglob("*.parquet"))
            data, _ = sky_sample(shards, total["objects_out"], settings)
        encoder, pre = pretrain_encoder(data, settings, work / "pre", work / "cache")
    else:
        seed_training(settings.pretrain.seed)
        encoder, pre = initial_encoder(settings, work / "cache"), {}
    weights = work / "encoder.weights.h5"
    encoder.save_weights(weights)
    summary = work / "encoder.json"
    summary.write_text(json.dumps({"encoder": encoder.config_}))
    model, fine = finetune_classifier(
        training_set, train, weights, summary, settings, work / "fine"
    )
    probs = class_probabilities(model, training_set)
    test = split_mask(training_set, "test")
    labels = training_set.column("label").to_numpy()
    scores = class_scores(labels[test], probs.filter(like="p_lc_").to_numpy()[test], QSO)
    return {
        **scores,
        "pretrain": {k: pre.get(k) for k in ("epochs_run", "best_val_loss")},
        "finetune": {k: fine.get(k) for k in ("epochs_run", "best_val_loss")},
        "patience": {
            "pretrain": settings.pretrain.patience,
            "finetune": settings.finetune.patience,
        },
        "finetune_schedule": settings.finetune.schedule,
        "pretrain_data": settings.pretrain_data if do_pretrain else None,
        "encoder": encoder.config_,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = study_parser(__doc__, out_help="the JSON file the results are appended to")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument(
        "--fractions",
        nargs="?",
        const="0.25,0.5,1",
        default="1",
        help="shares of the train split to train on (flag alone: 0.25,0.5,1)",
    )
    parser.add_argument(
        "--seed", type=int, help="both stages' seed (default: the run's), for run-to-run spread"
    )
    args = parser.parse_args(argv)

    config, xgb = study_config(args)
    astromer = config["astromer"]
    if args.seed is not None:
        for stage in ("pretrain", "finetune"):
            astromer = {**astromer, stage: {**astromer[stage], "seed": args.seed}}
    training_set = pq.read_table(args.results / "labels" / "training_set.parquet")
    labels = training_set.select(["objectid", "split", "label", "shard"]).to_pandas()
    features = read_features(str(args.results / "features" / "dataset" / "{shard}.parquet"), labels)
    table = labels.merge(features, on="objectid", validate="one_to_one")
    train = (table["split"] == "train").to_numpy()
    fractions = [float(f) for f in args.fractions.split(",")]
    # What a transformer without error_input sees: magnitudes and times, centred.
    error_free = [f for f in feature_names() if f not in ERROR_WEIGHTED]
    records: list[dict] = json.loads(args.out.read_text()) if args.out.exists() else []

    def record(entry: dict) -> None:
        records.append(entry)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(records, indent=2) + "\n")
        print(json.dumps(entry), flush=True)

    for fraction in fractions:
        rows = _subset(train, fraction, seed=int(fraction * 1000))
        n = int(rows.sum())
        subset = table[rows | ~train]  # the train rows of this fraction, every val / test row
        for name, columns in (
            ("shallow + mag_median", features_of(["shallow"])),
            ("shallow without errors or magnitude", error_free),
            ("mag_median + n_obs + timespan", ["mag_median", "n_obs", "timespan"]),
        ):
            record({"model": name, "train_rows": n, **fit_and_score(subset, columns, xgb)[1]})
        for name in args.variants.split(","):
            with tempfile.TemporaryDirectory() as work:
                result = transformer_variant(
                    args.results, training_set, rows, astromer, VARIANTS[name], Path(work)
                )
            seed = astromer["finetune"]["seed"]
            record({"model": f"transformer: {name}", "train_rows": n, "seed": seed, **result})


if __name__ == "__main__":
    main()
