"""Every `snakemake` command the README shows, run on the finished tiny sky: dry runs plan what
the README says they plan (one shard job and the pieces it needs, for a single-shard rerun;
nothing, for a finished run), and the other commands succeed."""

from __future__ import annotations

import re
import shlex
from collections import Counter

import pytest
from conftest import REPO, TINY, run_workflow

pytestmark = pytest.mark.workflow

README = REPO / "README.md"
# The rules a single-shard rerun may plan: the shard job, and the partition pieces it reads
# (temporary, so gone after a finished run).
SHARD_RERUN = {"shard", "partition_split"}


def readme_commands() -> list[str]:
    """The `snakemake` command lines of the README: in its code blocks (continuations joined,
    comments and pipes dropped) and in its inline code."""
    text = README.read_text()
    lines = []
    for block in re.findall(r"```[^\n]*\n(.*?)```", text, re.S):
        lines += block.replace("\\\n", " ").splitlines()
    lines += re.findall(r"(?<!`)`([^`\n]+)`(?!`)", re.sub(r"```.*?```", "", text, flags=re.S))
    commands = []
    for line in lines:
        line = line.split(" #", 1)[0].split("|", 1)[0].strip()
        if line.startswith(("snakemake ", ".venv/bin/snakemake ")):
            commands.append(" ".join(line.split()))
    return list(dict.fromkeys(commands))


def planned_jobs(output: str) -> Counter:
    """Rule → planned job count, from a dry run's job stats."""
    jobs: Counter = Counter()
    stats = output.split("Job stats:", 1)
    if len(stats) < 2:
        return jobs
    for line in stats[1].splitlines()[3:]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        if parts[0] != "total":
            jobs[parts[0]] = int(parts[1])
    return jobs


def configfiles(args: list[str]) -> list[str]:
    """The arguments ``--configfile`` takes: all up to the next option, as Snakemake reads
    them."""
    if "--configfile" not in args:
        return []
    taken = []
    for arg in args[args.index("--configfile") + 1 :]:
        if arg.startswith("-"):
            break
        taken.append(arg)
    return taken


def as_test_command(command: str) -> list[str]:
    """The README command's arguments for the tiny sky: the user's config becomes the tiny one,
    and commands that would run jobs become dry runs."""
    args = shlex.split(command)[1:]
    if "--configfile" in args:  # it takes every argument up to the next option
        i = args.index("--configfile")
        del args[i : i + 1 + len(configfiles(args))]
    # `snakemake --report` and the informational commands run as they are; the rest dry-run.
    if not {"--unlock", "--list-rules", "--report", "-n", "--dry-run"} & set(args):
        args.append("-n")
    return args


def test_the_readme_shows_the_commands_it_should():
    commands = readme_commands()
    assert len(commands) >= 8
    assert any("--force" in c and "preprocess/dataset" in c for c in commands)
    assert any("--profile profiles/slurm" in c and "--force" in c for c in commands)
    # --forcerun takes several values and swallows a target placed after it.
    assert not [c for c in commands if re.search(r"--forcerun \S+ results/", c)]
    # So does --configfile: whatever follows it up to the next option must be config files.
    for c in commands:
        for name in configfiles(shlex.split(c)):
            assert name.endswith((".yaml", ".yml", ".json")), c


@pytest.mark.parametrize("command", readme_commands(), ids=lambda c: c.replace(" ", "_"))
def test_readme_command_on_the_tiny_sky(tiny_run, command):
    args = as_test_command(command)
    proc = run_workflow(tiny_run, *args, configfile=TINY, cores=None, cwd=REPO)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    jobs = planned_jobs(out)
    if "--force" in args:
        target = next(a for a in args if a.startswith("results/"))
        if "/dataset/" in target:  # a single shard's file: its job and the pieces it needs
            assert jobs["shard"] == 1 and set(jobs) <= SHARD_RERUN, jobs
        else:
            assert set(jobs) == {"ztf_inventory"} and jobs["ztf_inventory"] == 1, jobs
    elif "--list-rules" in args:
        assert "shard" in out and "astromer_pretrain" in out
    elif "--rulegraph" in args:
        assert "digraph" in proc.stdout
    elif "--report" in args:
        assert (tiny_run / args[args.index("--report") + 1]).exists()
    elif "--unlock" not in args:  # a finished run: nothing to plan
        assert "Nothing to be done" in out, out[-2000:]
