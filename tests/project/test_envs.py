"""envs/*.yaml (for cluster users) pin exactly what pyproject.toml pins."""

import re
import tomllib

import pytest
import yaml
from conftest import REPO


def _pyproject_pins():
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = {}
    for dep in deps:
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^;\s]+)", dep.strip())
        assert m, f"pyproject dependency not pinned exactly: {dep}"
        pins[m.group(1).lower()] = m.group(2)
    return pins


@pytest.mark.parametrize("env", sorted(p.name for p in (REPO / "envs").glob("*.yaml")))
def test_env_pins_match_pyproject(env):
    spec = yaml.safe_load((REPO / "envs" / env).read_text())
    conda = {}
    for dep in spec["dependencies"]:
        if isinstance(dep, str):
            name, _, version = dep.partition("=")
            conda[name.lower()] = version.lstrip("=")
        else:  # the pip section: PyPI-only packages, pinned name==version
            for pip_dep in dep["pip"]:
                name, _, version = pip_dep.partition("==")
                conda[name.lower()] = version
    pins = _pyproject_pins()
    for name, version in pins.items():
        assert conda.get(name) == version, (
            f"{env}: {name} should be {version}, is {conda.get(name)}"
        )
    extra = set(conda) - set(pins) - {"python", "pip"}
    optional = {n.lower() for n in _optional_runtime()}
    assert extra <= optional, f"{env} pins packages pyproject.toml does not: {extra - optional}"


def _optional_runtime():
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    return [re.split(r"[=<>\[]", d)[0] for k, v in extras.items() if k != "dev" for d in v]
