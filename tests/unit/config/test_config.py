"""Configuration validation: defaults, and errors that name the key."""

import re

import pytest
import yaml
from conftest import REPO

from qzo.config import SCHEMA_PATH, default_config, load_config, validate_config
from qzo.config.document import documented_sections, render
from qzo.errors import ConfigError


def test_default_config_is_valid_and_gets_defaults():
    cfg = load_config(REPO / "config" / "config.yaml")
    assert cfg["simulation"]["n_sources"] == 30000
    assert cfg["simulation"]["sdss_class_mix"] == {"galaxy": 0.47, "qso": 0.25, "star": 0.28}
    assert cfg["simulation"]["limiting_mag_5sigma"]["g"] == 20.5


def test_schema_in_config_dir_is_the_library_schema():
    assert (REPO / "config" / "config.schema.yaml").resolve() == SCHEMA_PATH.resolve()


def _leaf_keys(node: dict, defaults: object, prefix: str = "", schema: dict | None = None):
    """(dotted key, default) of every scalar or list key under a schema node ($refs resolved
    in ``schema``, the whole schema: ``node`` itself at the top)."""
    schema = node if schema is None else schema
    if "$ref" in node:
        ref = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        node = {**ref, "properties": {**ref["properties"], **node.get("properties", {})}}
    properties = node.get("properties", {})
    if not properties:
        yield prefix.rstrip("."), defaults
    for name, sub in properties.items():
        child = defaults.get(name) if isinstance(defaults, dict) else None
        yield from _leaf_keys(sub, child, f"{prefix}{name}.", schema)


def test_readme_documents_every_key_with_the_schema_default():
    """config/README.md's key tables are what the schema generates, and every key's row shows
    the default that validation fills in."""
    readme = (REPO / "config" / "README.md").read_text()
    embedded = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    assert render(readme, embedded) == readme, (
        "config/README.md is stale: run python -m qzo.config.document config/README.md"
    )
    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    defaults = default_config()
    rows = {
        line.split("|")[1].strip().strip("`"): line.split("|")[3].strip()
        for line in readme.splitlines()
        if line.startswith("| `")
    }
    keys = list(_leaf_keys(schema, defaults))
    assert len(keys) > 80
    for key, default in keys:
        assert key in rows, f"config/README.md does not document {key}"
        shown = yaml.safe_dump(default, default_flow_style=True, sort_keys=False, width=10**4)
        shown = shown.strip().removesuffix("...").strip()
        assert rows[key].startswith(f"`{shown}`"), (key, rows[key], shown)
    assert set(documented_sections(readme)) == {".", *schema["properties"]} - {
        "results_dir",
        "threads",
    }


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
        (
            {"astromer": {"finetune": {"schedule": "plateau", "patience": 2}}},
            "config key 'astromer.finetune.patience': schedule 'plateau' steps the rate down",
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


@pytest.mark.parametrize("name", ["config.yaml", "science.yaml", "learning_curve.yaml"])
def test_shipped_configs_validate_and_stop_early(name):
    """The embedded default and the science configuration are valid, and neither caps the
    transformer's training below what early stopping needs."""
    config = load_config(REPO / "config" / name)
    assert config["simulation"]["enabled"]
    for stage in ("pretrain", "finetune"):
        assert config["astromer"][stage]["epochs"] >= 100


def test_the_workstation_overlay_only_shrinks_the_science_run():
    """config/science_workstation.yaml, merged after config/science.yaml as Snakemake merges
    config files, gives a valid config that differs from the science one only in what sizes
    the run for a workstation: the encoder's width, the stage-1 sample and the folds."""
    from snakemake.utils import update_config

    def merged(*names: str) -> dict:
        config: dict = {}
        for name in ("config.yaml", *names):
            update_config(config, yaml.safe_load((REPO / "config" / name).read_text()))
        return validate_config(config)

    science = merged("science.yaml")
    workstation = merged("science.yaml", "science_workstation.yaml")
    files = ("config.yaml", "science.yaml", "science_workstation.yaml")
    assert load_config([REPO / "config" / name for name in files]) == workstation
    shrunk = {
        ("astromer", "d_model"): (256, 64),
        ("astromer", "dff"): (128, 64),
        ("astromer", "pretrain_sample_size"): (200_000, 25_000),
        ("labels", "stacking_folds"): (5, 2),
    }
    for (section, key), values in shrunk.items():
        assert (science[section][key], workstation[section][key]) == values
        del science[section][key], workstation[section][key]
    assert workstation == science


def test_config_files_merge_key_by_key_in_order(tmp_path):
    """load_config merges each file over the ones before it, nested mappings key by key and
    anything else (lists included) replaced, then applies the top-level overrides."""
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    first.write_text(
        "threads: 3\nastromer: {d_model: 32, finetune: {patience: 4, seed: 5}}\n"
        "evaluate: {thresholds: [0.3, 0.5, 0.9]}\n"
    )
    second.write_text("astromer: {finetune: {patience: 6}}\nevaluate: {thresholds: [0.5]}\n")
    config = load_config([first, second], overrides={"threads": 1})
    assert config["threads"] == 1
    assert config["astromer"]["d_model"] == 32
    assert (config["astromer"]["finetune"]["patience"], config["astromer"]["finetune"]["seed"]) == (
        6,
        5,
    )
    assert config["evaluate"]["thresholds"] == [0.5]
    assert load_config(str(first)) == load_config([first])
    second.write_text("- threads: 1\n")
    with pytest.raises(ConfigError, match=f"config file {second}: the top level must map"):
        load_config([first, second])


def test_every_config_key_is_read_by_some_code():
    """No key is accepted and then ignored: each key of the schema is named in the workflow's
    code (rules, scripts or the library) as a string or an attribute (a settings field). Keys
    read under a computed name fail here on purpose: spell them out."""
    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    skip = {REPO / "src/qzo/config/settings.py", REPO / "src/qzo/config/document.py"}
    files = [*(REPO / "src/qzo").rglob("*.py"), *(REPO / "rules").glob("*.smk")]
    files += [p for p in (REPO / "workflow").rglob("*") if p.is_file()]
    code = "\n".join(p.read_text() for p in files if p not in skip)

    def read(name: str) -> bool:
        name = re.escape(name)
        return re.search(rf"([\"']){name}\1|\.{name}\b", code) is not None

    keys = [key for key, _ in _leaf_keys(schema, default_config())]
    unread = [key for key in keys if not read(key.rsplit(".", 1)[-1])]
    assert not unread, f"config keys no code reads: {unread}"


def test_training_rules_take_the_astromer_section_without_the_inference_keys():
    from qzo.config import ASTROMER_INFERENCE_KEYS, AstromerSettings, training_section

    section = {**default_config()["astromer"], "backend": "onnx", "batch_size": 7, "d_model": 48}
    training = training_section(section)
    assert not set(ASTROMER_INFERENCE_KEYS) & set(training) and training["d_model"] == 48
    full, trained = AstromerSettings.from_config(section), AstromerSettings.for_training(training)
    assert trained.d_model == 48 and trained.architecture == full.architecture
    assert trained.pretrain == full.pretrain and trained.finetune == full.finetune
    # Keys it never reads take their defaults.
    assert (trained.backend, trained.batch_size) == ("keras", 256)
    assert AstromerSettings.for_training(section) == full


def test_stage_one_takes_the_training_section_without_stage_two_s_keys():
    """Stage 1's params leave out the classifier's settings, so a new fine-tuning seed or
    pooling does not retrain the encoder; what stage 1 reads is unchanged."""
    from qzo.config import ASTROMER_FINETUNE_KEYS, AstromerSettings, pretraining_section

    section = default_config()["astromer"]
    changed = {**section, "pooling": "mean", "finetune": {**section["finetune"], "seed": 7}}
    assert pretraining_section(changed) == pretraining_section(section)
    assert not set(ASTROMER_FINETUNE_KEYS) & set(pretraining_section(section))
    stage1 = AstromerSettings.for_training(pretraining_section(changed))
    full = AstromerSettings.from_config(changed)
    assert stage1.architecture == full.architecture and stage1.pretrain == full.pretrain
    assert stage1.pretrain_sample_size == full.pretrain_sample_size
