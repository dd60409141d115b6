"""The repository's layout shows the pipeline: one rule file per stage module, one script and
one stage function per rule, the README's table of them, and nothing outside the repository."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import subprocess
import sys

import pytest
from conftest import REPO

RULE = re.compile(r"^(?:rule|checkpoint) (\w+):", re.M)
SCRIPT = re.compile(r'script:\n\s+"\.\./workflow/scripts/(\w+)\.py"')
ROW = re.compile(
    r"^\| `(\w+)` \| `rules/(\w+)\.smk` \| `workflow/scripts/(\w+)\.py` \| "
    r"`qzo\.stages\.(\w+)\.(\w+)` \| (.+) \|$",
    re.M,
)


def rule_files() -> dict[str, list[str]]:
    """Rule file stem → the rules (and checkpoints) it defines, for every stage's rule file."""
    return {
        path.stem: RULE.findall(path.read_text())
        for path in sorted((REPO / "rules").glob("*.smk"))
        if path.stem != "common"
    }


def test_each_rule_file_holds_its_stage_modules_rules():
    for stem, rules in rule_files().items():
        text = (REPO / "rules" / f"{stem}.smk").read_text()
        assert SCRIPT.findall(text) == rules, stem  # every rule has the script named after it
        module = importlib.import_module(f"qzo.stages.{stem}")
        public = sorted(
            name
            for name, obj in vars(module).items()
            if inspect.isfunction(obj) and obj.__module__ == module.__name__
            if not name.startswith("_")
        )
        assert public == sorted(rules), f"qzo.stages.{stem} holds {public}, the rules {rules}"


def test_each_script_calls_its_stage_and_nothing_else():
    for stem, rules in rule_files().items():
        for rule in rules:
            tree = ast.parse((REPO / "workflow" / "scripts" / f"{rule}.py").read_text())
            imports = {
                (node.module, alias.name)
                for node in tree.body
                if isinstance(node, ast.ImportFrom)
                for alias in node.names
            }
            assert imports == {
                (f"qzo.stages.{stem}", rule),
                ("qzo.stages.runner", "run_stage"),
            }, rule
            calls = [node for node in tree.body if isinstance(node, ast.Expr)]
            assert len(calls) == 1 and ast.unparse(calls[0]).startswith(
                f"run_stage(snakemake, {rule}"
            ), rule


def test_the_readme_table_maps_every_rule_to_its_stage():
    rows = ROW.findall((REPO / "README.md").read_text())
    table = {row[0]: row[1:5] for row in rows}
    expected = {
        rule: (stem, rule, stem, rule) for stem, rules in rule_files().items() for rule in rules
    }
    assert table == expected


def test_library_modules_hold_no_entry_points():
    """Only qzo.stages runs rules: the library never imports it (nor Snakemake)."""
    offenders = []
    for path in sorted((REPO / "src" / "qzo").rglob("*.py")):
        package = path.relative_to(REPO / "src" / "qzo").parts[0]
        if package in ("stages", "testing"):
            continue
        text = path.read_text()
        if re.search(r"^\s*(from|import) (qzo\.stages|snakemake)", text, re.M):
            offenders.append(str(path))
        if re.search(r"^def run_\w+\(", text, re.M):
            offenders.append(f"{path}: run_* entry point")
    assert not offenders


def tracked_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    return out.splitlines()


def test_nothing_refers_to_a_folder_outside_the_repository():
    name = "sha" + "red"  # spelled so that this file does not match itself
    pattern = re.compile(rf"\.\./{name}|{name}/fixtures|(?<![\w/]){name}/")
    found = []
    for name in tracked_files():
        path = REPO / name
        if path.is_symlink() or path.suffix in (".parquet", ".zip", ".png", ".h5"):
            continue
        try:
            text = path.read_text()
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        found += [f"{name}: {m.group(0)}" for m in pattern.finditer(text)]
    assert not found


def test_every_tracked_symlink_points_inside_the_repository():
    for name in tracked_files():
        path = REPO / name
        if path.is_symlink():
            target = path.resolve()
            assert target.is_relative_to(REPO) and target.exists(), name


@pytest.mark.parametrize("page", ["method", "architecture", "simulation", "faults"])
def test_docs_pages_exist_and_the_readme_links_them(page):
    assert (REPO / "docs" / f"{page}.md").stat().st_size > 2000
    assert f"docs/{page}.md" in (REPO / "README.md").read_text()


def test_the_workflow_parses_with_light_imports_only():
    """Every cluster job parses the Snakefile again: what it imports from the library must not
    pull in NumPy, pandas, Arrow, healpy or TensorFlow."""
    code = (
        "import sys; sys.path.insert(0, 'src'); import qzo.config, qzo.io.inputs, "
        "qzo.io.hats_input, qzo.io.partitioned_catalogs; "
        "print(sorted(m for m in ('numpy', 'pandas', 'pyarrow', 'healpy', 'tensorflow') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
    common = (REPO / "rules" / "common.smk").read_text()
    assert set(re.findall(r"^from (qzo\S*) import", common, re.M)) == {
        "qzo.config",
        "qzo.io.hats_input",
        "qzo.io.inputs",
        "qzo.io.partitioned_catalogs",
    }
