"""Load and validate the workflow configuration against its JSON schema (defaults filled in)."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from qzo.config.settings import PLATEAU_EPOCHS
from qzo.errors import ConfigError
from qzo.io import StrPath
from qzo.io.hats_input import is_hats_input

SCHEMA_PATH = Path(__file__).with_name("schema.yaml")
#: LibYAML's safe loader where PyYAML has it (8x faster on the schema; every job reads it).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: StrPath) -> Any:
    """The YAML document in ``path`` (safe loading)."""
    return yaml.load(Path(path).read_text(), Loader=_YAML_LOADER)


def _with_defaults(validator_class: Any) -> Any:
    """A validator that also fills in defaults, recursing into objects and array items."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator: Any, properties: dict, instance: Any, schema: dict) -> Iterator:
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def _key_path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(top level)"


def validate_config(config: dict, schema_path: StrPath = SCHEMA_PATH) -> dict:
    """Validate ``config`` in place (filling defaults) and return it.

    Raises :class:`ConfigError` naming the offending key, e.g.
    ``config key 'simulation.n_sources': 'many' is not of type 'integer'``.
    """
    schema = read_yaml(schema_path)
    validator = _with_defaults(jsonschema.Draft202012Validator)(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for err in errors:
            if err.validator == "additionalProperties":
                known = sorted(err.schema.get("properties", {}))
                extra = sorted(set(err.instance) - set(known))
                where = _key_path(err)
                for key in extra:
                    full = key if where == "(top level)" else f"{where}.{key}"
                    lines.append(
                        f"config key '{full}': unknown key (known here: {', '.join(known)})"
                    )
            else:
                lines.append(f"config key '{_key_path(err)}': {err.message}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines))
    _check_consistency(config)
    return config


def _check_consistency(config: dict) -> None:
    sim = config["simulation"]
    if sim["enabled"] and config["inputs"]["band"] not in sim["bands"]:
        raise ConfigError(
            f"config key 'inputs.band': '{config['inputs']['band']}' is not among "
            f"'simulation.bands' {sim['bands']}"
        )
    paths = {"inputs.ztf_lightcurves": config["inputs"]["ztf_lightcurves"]}
    paths.update({f"catalogs.{k}.path": v["path"] for k, v in config["catalogs"].items()})
    for key, spec in paths.items():
        patterns = [spec] if isinstance(spec, str) else spec
        outside = [p for p in patterns if not _within(p, sim["output_dir"])]
        if sim["enabled"] and outside:
            raise ConfigError(
                f"config key '{key}': {outside[0]!r} is outside 'simulation.output_dir' "
                f"({sim['output_dir']!r}) while simulation.enabled is true; "
                "point it at the simulated files or set simulation.enabled: false"
            )
    simulated_hats = sim["enabled"] and sim["format"] == "hats"
    if config["inputs"]["region"] is not None and not (
        simulated_hats or is_hats_input(config["inputs"]["ztf_lightcurves"])
    ):
        raise ConfigError(
            "config key 'inputs.region': needs a HATS input (inputs.ztf_lightcurves naming a "
            "HATS catalog or collection, or simulation.format: hats)"
        )
    hats_dir = str(Path(sim["output_dir"]) / "ztf")
    if (
        sim["enabled"]
        and sim["format"] == "hats"
        and config["inputs"]["ztf_lightcurves"]
        not in (
            hats_dir,
            hats_dir + "/",
        )
    ):
        raise ConfigError(
            f"config key 'inputs.ztf_lightcurves': simulation.format is 'hats', so it must be "
            f"the simulated collection {hats_dir!r}"
        )
    for stage in ("pretrain", "finetune"):
        settings = config["astromer"][stage]
        if settings["schedule"] == "plateau" and settings["patience"] <= PLATEAU_EPOCHS:
            raise ConfigError(
                f"config key 'astromer.{stage}.patience': schedule 'plateau' steps the rate down "
                f"after {PLATEAU_EPOCHS} epochs without improvement, so patience must exceed "
                f"{PLATEAU_EPOCHS} (5 reaches the lowest rate), not {settings['patience']}"
            )
    part = config["partition"]
    if part["lowest_order"] > part["highest_order"]:
        raise ConfigError(
            "config key 'partition.lowest_order': must not exceed partition.highest_order"
        )
    for key in ("dedup", "crossmatch", "labels"):
        if part["margin_arcsec"] < config[key]["radius_arcsec"]:
            raise ConfigError(
                f"config key 'partition.margin_arcsec': must be at least {key}.radius_arcsec "
                "(matches across shard borders are found in the margins)"
            )
    mix = sim["sdss_class_mix"]
    if abs(sum(mix.values()) - 1) > 1e-6:
        raise ConfigError(
            f"config key 'simulation.sdss_class_mix': fractions sum to {sum(mix.values())}, not 1"
        )
    t0, t1 = sim["time_range"]
    if t1 <= t0:
        raise ConfigError("config key 'simulation.time_range': end must be after start")


def _within(pattern: str, directory: str) -> bool:
    return Path(pattern).parts[: len(Path(directory).parts)] == Path(directory).parts


def load_config(
    paths: StrPath | Sequence[StrPath] | None = None, overrides: dict | None = None
) -> dict:
    """Read YAML config files (or start empty), each merged over the ones before it as
    Snakemake merges ``--configfile`` files (nested mappings key by key), apply ``overrides``
    (top-level keys), validate."""
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    config: dict = {}
    for path in paths or []:
        content = read_yaml(path) or {}
        if not isinstance(content, dict):
            raise ConfigError(
                f"config file {path}: the top level must map config keys to values, "
                f"not a {type(content).__name__}"
            )
        _merge(config, content)
    config.update(overrides or {})
    return validate_config(config)


def _merge(config: dict, update: dict) -> None:
    """Merge ``update`` into ``config`` in place, mappings key by key, anything else replaced."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            _merge(config[key], value)
        else:
            config[key] = value


def default_config() -> dict:
    """Every key at the schema's default (no config file)."""
    return validate_config({})
