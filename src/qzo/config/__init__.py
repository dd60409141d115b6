"""The workflow configuration: its JSON schema (every key, type and default), validation, and
typed views of the sections the library uses. Imports nothing heavy: the Snakefile loads it
while it is parsed, in every cluster job."""

from qzo.config.settings import (
    AstromerSettings,
    PartitionSettings,
    PreprocessSettings,
    StageSettings,
    XGBSettings,
)
from qzo.config.validate import SCHEMA_PATH, default_config, load_config, validate_config

__all__ = [
    "SCHEMA_PATH",
    "AstromerSettings",
    "PartitionSettings",
    "PreprocessSettings",
    "StageSettings",
    "XGBSettings",
    "default_config",
    "load_config",
    "validate_config",
]
