"""Configuration validation: defaults, and errors that name the key."""

from pathlib import Path

import pytest
import yaml

from qzo.config import SCHEMA_PATH, load_config, validate_config
from qzo.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_default_config_is_valid_and_gets_defaults():
    cfg = load_config(REPO / "config" / "config.yaml")
    assert cfg["simulation"]["n_sources"] == 30000
    assert cfg["simulation"]["sdss_class_mix"] == {"galaxy": 0.47, "qso": 0.25, "star": 0.28}
    assert cfg["simulation"]["limiting_mag_5sigma"]["g"] == 20.5


def test_schema_in_config_dir_is_the_library_schema():
    assert (REPO / "config" / "config.schema.yaml").resolve() == SCHEMA_PATH.resolve()


def test_every_schema_key_is_documented():
    readme = (REPO / "config" / "README.md").read_text()

    def keys(node, prefix=""):
        for name, sub in node.get("properties", {}).items():
            yield prefix + name
            yield from keys(sub, prefix + name + ".")
            yield from keys(sub.get("items", {}), prefix + name + "[].")

    missing = [k for k in keys(yaml.safe_load(SCHEMA_PATH.read_text())) if f"`{k}`" not in readme]
    assert not missing, f"config/README.md does not document {missing}"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"simulation": {"n_sources": "many"}},
            "config key 'simulation.n_sources': 'many' is not of type 'integer'",
        ),
        ({"simulation": {"n_source": 5}}, "config key 'simulation.n_source': unknown key"),
        ({"result_dir": "x"}, "config key 'result_dir': unknown key"),
        (
            {"simulation": {"regions": [{"ra": 10, "dec": 95, "radius": 1}]}},
            "config key 'simulation.regions.0.dec'",
        ),
        ({"inputs": {"band": "u"}}, "config key 'inputs.band': 'u' is not one of"),
        (
            {"simulation": {"sdss_class_mix": {"galaxy": 0.5, "qso": 0.5, "star": 0.5}}},
            "config key 'simulation.sdss_class_mix': fractions sum to 1.5",
        ),
        (
            {"inputs": {"band": "r"}},
            "config key 'inputs.band': 'r' is not among 'simulation.bands'",
        ),
        (
            {"inputs": {"ztf_lightcurves": "/data/ztf/*.parquet"}},
            "config key 'inputs.ztf_lightcurves': '/data/ztf/*.parquet' is outside",
        ),
        (
            {"crossmatch": {"radius_arcsec": 6.0}},
            "config key 'partition.margin_arcsec': must be at least crossmatch.radius_arcsec",
        ),
        (
            {"xgb": {"experiments": [["ztf", "sdss"]]}},
            "config key 'xgb.experiments.0.1': 'sdss' is not one of",
        ),
    ],
)
def test_bad_config_names_the_key(config, message):
    with pytest.raises(ConfigError) as err:
        validate_config(config)
    assert message in str(err.value)


def test_real_data_config_needs_no_simulation():
    cfg = validate_config(
        {"inputs": {"ztf_lightcurves": "/data/ztf/**/*.parquet"}, "simulation": {"enabled": False}}
    )
    assert cfg["inputs"]["band"] == "g"
