"""The real-data fixtures and the workflow's static resources are the files their READMEs
describe, byte for byte."""

from __future__ import annotations

import hashlib
import re

import pytest
from conftest import DATA, REPO


def listed_hashes(readme) -> dict[str, str]:
    """``path → sha256`` from the fenced ``sha256sum``-style block of a README."""
    block = re.search(r"## sha256\n\n```\n(.*?)```", readme.read_text(), re.S)
    assert block, f"{readme} has no sha256 block"
    return {name: digest for digest, name in (line.split() for line in block[1].splitlines())}


@pytest.mark.parametrize("folder", [DATA, REPO / "resources"])
def test_files_match_their_listed_sha256(folder):
    hashes = listed_hashes(folder / "README.md")
    assert hashes
    for name, digest in hashes.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


def test_every_fixture_is_listed():
    listed = set(listed_hashes(DATA / "README.md"))
    present = {
        str(p.relative_to(DATA)) for p in DATA.rglob("*") if p.is_file() and p.name != "README.md"
    }
    assert present == listed
