"""The workflow configuration: its JSON schema (every key, type and default), validation, and
typed views of the sections the library uses. Imports nothing heavy: the Snakefile loads it
while it is parsed, in every cluster job."""

from qzo.config.settings import (
    ASTROMER_FINETUNE_KEYS,
    ASTROMER_INFERENCE_KEYS,
    AstromerSettings,
    PartitionSettings,
    PreprocessSettings,
    StageSettings,
    XGBSettings,
    pretraining_section,
    training_section,
)
from qzo.config.validate import SCHEMA_PATH, default_config, load_config, validate_config

__all__ = [
    "ASTROMER_FINETUNE_KEYS",
    "ASTROMER_INFERENCE_KEYS",
    "SCHEMA_PATH",
    "AstromerSettings",
    "PartitionSettings",
    "PreprocessSettings",
    "StageSettings",
    "XGBSettings",
    "default_config",
    "load_config",
    "pretraining_section",
    "training_section",
    "validate_config",
]
