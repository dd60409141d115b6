"""Typed settings: built only from validated sections, with the schema's keys and no defaults."""

from dataclasses import MISSING, fields

import pytest

from qzo.config import (
    AstromerSettings,
    PartitionSettings,
    PreprocessSettings,
    StageSettings,
    XGBSettings,
    default_config,
    validate_config,
)
from qzo.errors import ConfigError

SECTIONS = [
    (PartitionSettings, ("partition",), {}),
    (PreprocessSettings, ("preprocess",), {}),
    (StageSettings, ("astromer", "pretrain"), {}),
    (StageSettings, ("astromer", "finetune"), {}),
    (AstromerSettings, ("astromer",), {}),
    (XGBSettings, ("xgb",), {"threads": 2}),
]


def section(config: dict, path: tuple[str, ...]) -> dict:
    for key in path:
        config = config[key]
    return config


@pytest.mark.parametrize(("cls", "path", "extra"), SECTIONS)
def test_settings_have_the_schema_keys_and_no_defaults_of_their_own(cls, path, extra):
    values = section(default_config(), path)
    assert {f.name for f in fields(cls)} == set(values) | set(extra)
    assert all(f.default is MISSING and f.default_factory is MISSING for f in fields(cls))
    settings = cls.from_config(values, **extra)
    for name, value in values.items():
        got = getattr(settings, name)
        assert (got == value) if not isinstance(got, StageSettings) else got.seed == value["seed"]


def test_a_section_with_a_missing_or_unknown_key_is_refused():
    values = dict(default_config()["preprocess"])
    with pytest.raises(ConfigError, match=r"missing keys \['max_nights'\]"):
        PreprocessSettings.from_config({k: v for k, v in values.items() if k != "max_nights"})
    with pytest.raises(ConfigError, match=r"unknown keys \['colour'\]"):
        PreprocessSettings.from_config({**values, "colour": "red"})


def test_each_training_stage_has_its_own_seed():
    cfg = validate_config({"astromer": {"pretrain": {"seed": 3}, "finetune": {"seed": 5}}})
    settings = AstromerSettings.from_config(cfg["astromer"])
    assert (settings.pretrain.seed, settings.finetune.seed) == (3, 5)
    assert (settings.pretrain.epochs, settings.finetune.epochs) == (20, 15)
    with pytest.raises(ConfigError, match=r"astromer\.pretrain\.seed"):
        validate_config({"astromer": {"pretrain": {"seed": -1}}})
