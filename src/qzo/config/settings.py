"""Typed views of validated config sections.

The schema (``schema.yaml``) is the one source of every key, type and default: these classes
carry no defaults of their own and are built only from a section that
:func:`qzo.config.validate_config` has filled in. A key the schema has and a class lacks (or the
reverse) is an error, so the two cannot drift apart silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Self

from qzo.errors import ConfigError


class _FromConfig:
    """``from_config(section, **extra)``: exactly the class's fields, no more, no fewer."""

    @classmethod
    def from_config(cls, section: Mapping[str, Any], **extra: Any) -> Self:
        values = {**section, **extra}
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        missing, unknown = names - values.keys(), values.keys() - names
        if missing or unknown:
            raise ConfigError(
                f"{cls.__name__}: missing keys {sorted(missing)}, unknown keys {sorted(unknown)} "
                "(build settings from a config that validate_config has checked)"
            )
        return cls(**{name: values[name] for name in names})


@dataclass(frozen=True)
class PartitionSettings(_FromConfig):
    """Config section ``partition``."""

    max_rows_per_shard: int
    highest_order: int
    lowest_order: int
    margin_arcsec: float
    files_per_batch: int


@dataclass(frozen=True)
class PreprocessSettings(_FromConfig):
    """Config section ``preprocess``."""

    min_epochs: int
    min_nights: int
    bad_catflags: int
    night_boundary_utc_hours: float
    magerr_combination: str
    max_nights: int


#: Learning-rate schedule ``plateau``: epochs without a better validation loss before the rate
#: steps down (the steps count the same epochs as early stopping's ``patience``).
PLATEAU_EPOCHS = 2


@dataclass(frozen=True)
class StageSettings(_FromConfig):
    """One Astromer training stage (``astromer.pretrain`` / ``astromer.finetune``)."""

    epochs: int
    batch_size: int
    patience: int
    min_delta: float
    learning_rate: float
    schedule: str
    seed: int


#: Keys of the ``astromer`` section that only inference reads. The training rules' params leave
#: them out (:func:`training_section`), so changing how inference runs never retrains.
ASTROMER_INFERENCE_KEYS = (
    "shards_per_job",
    "batch_size",
    "embeddings",
    "precision",
    "precision_check_size",
    "export",
    "backend",
)


#: Keys of the ``astromer`` section that only stage 2 (the classifier and the cross-fitting
#: folds) reads. Stage 1's params leave them out too (:func:`pretraining_section`), so changing
#: how the classifier trains (its seed, patience, pooling) never retrains the encoder.
ASTROMER_FINETUNE_KEYS = ("finetune", "pooling")


def training_section(section: Mapping[str, Any]) -> dict[str, Any]:
    """The ``astromer`` section without :data:`ASTROMER_INFERENCE_KEYS`."""
    return {k: v for k, v in section.items() if k not in ASTROMER_INFERENCE_KEYS}


def pretraining_section(section: Mapping[str, Any]) -> dict[str, Any]:
    """The ``astromer`` section stage 1 reads: :func:`training_section` without
    :data:`ASTROMER_FINETUNE_KEYS`."""
    return {k: v for k, v in training_section(section).items() if k not in ASTROMER_FINETUNE_KEYS}


#: The encoder's sizes, and its options beyond them (all off or 1 in the published model):
#: together its constructor arguments (:attr:`AstromerSettings.architecture`).
ENCODER_SIZES = ("num_layers", "d_model", "num_heads", "dff", "dropout", "window")
ENCODER_OPTIONS = (
    "magnitude_scale",
    "key_mask",
    "residual",
    "error_input",
    "difference_input",
    "local_mean_days",
)


@dataclass(frozen=True)
class AstromerSettings(_FromConfig):
    """Config section ``astromer``: the encoder, its two training stages and inference."""

    init_weights: str | None
    init_weights_sha256: str | None
    num_layers: int
    d_model: int
    num_heads: int
    dff: int
    dropout: float
    window: int
    magnitude_scale: float
    key_mask: bool
    residual: bool
    error_input: bool
    difference_input: bool
    local_mean_days: float
    pooling: str
    pretrain_data: str
    pretrain_sample_size: int
    pretrain_val_fraction: float
    pretrain: StageSettings
    finetune: StageSettings
    shards_per_job: int
    batch_size: int
    embeddings: bool
    precision: str
    precision_check_size: int
    export: bool
    backend: str
    keras_backend: str

    @classmethod
    def from_config(cls, section: Mapping[str, Any], **extra: Any) -> Self:
        stages = {s: StageSettings.from_config(section[s]) for s in ("pretrain", "finetune")}
        return super().from_config({**section, **stages}, **extra)

    @classmethod
    def for_training(cls, section: Mapping[str, Any]) -> Self:
        """Settings from a training rule's section (:func:`training_section`,
        :func:`pretraining_section`, or a whole one): the keys it lacks of those the rule never
        reads (inference's, and stage 2's in stage 1) take their defaults."""
        from qzo.config.validate import default_config

        defaults = default_config()["astromer"]
        unread = (*ASTROMER_INFERENCE_KEYS, *ASTROMER_FINETUNE_KEYS)
        return cls.from_config({**{k: defaults[k] for k in unread}, **section})

    @property
    def architecture(self) -> dict[str, Any]:
        """The encoder's constructor arguments (random initialisation)."""
        return {k: getattr(self, k) for k in (*ENCODER_SIZES, *ENCODER_OPTIONS)}


@dataclass(frozen=True)
class XGBSettings(_FromConfig):
    """Config section ``xgb`` plus the workflow's ``threads``."""

    n_estimators: int
    early_stopping_rounds: int
    max_depth: int
    learning_rate: float
    gamma: float
    min_child_weight: float
    colsample_bytree: float
    subsample: float
    reg_lambda: float
    seed: int
    catalog_light_curve_features: list[str]
    experiments: list[list[str]]
    threads: int
