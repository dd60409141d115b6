"""run_stage: a rule's named inputs, outputs and params become its stage's keyword arguments;
a mismatch, bad input and other failures are reported in the job's log."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from qzo.errors import InputDataError
from qzo.stages.runner import run_stage, stage_arguments


class Named(dict):
    """Stands for Snakemake's Namedlist: named entries through items()."""


def job(tmp_path, rule="demo", **named):
    return SimpleNamespace(
        rule=rule,
        input=Named(named.get("input", {})),
        output=Named(named.get("output", {})),
        params=Named(named.get("params", {})),
        log=[str(tmp_path / "job.log")],
    )


def demo(*, table: str, summary: str, settings: dict, shard: str, optional: int = 1) -> None:
    if settings.get("fail") == "input":
        raise InputDataError(table, "1 NaN positions", column="objra")
    if settings.get("fail") == "bug":
        raise RuntimeError("a bug")
    Path(summary).write_text(f"{table} {shard}")


def test_named_entries_become_keyword_arguments(tmp_path):
    smk = job(
        tmp_path,
        input={"table": "t.parquet"},
        output={"summary": str(tmp_path / "s.txt")},
        params={"settings": {}},
    )
    assert stage_arguments(smk, demo, shard="Norder=1/Dir=0/Npix=4") == {
        "table": "t.parquet",
        "summary": str(tmp_path / "s.txt"),
        "settings": {},
        "shard": "Norder=1/Dir=0/Npix=4",
    }
    run_stage(smk, demo, shard="x")
    assert (tmp_path / "s.txt").read_text() == "t.parquet x"


def test_a_rule_that_does_not_match_its_stage_is_refused(tmp_path):
    smk = job(tmp_path, input={"tabel": "t"}, output={"summary": "s"}, params={"settings": {}})
    with pytest.raises(TypeError, match=r"unknown arguments \['tabel'\], missing arguments "):
        stage_arguments(smk, demo, shard="x")
    smk = job(tmp_path, input={"table": "t"}, output={"table": "s"})
    with pytest.raises(TypeError, match="'table' is named twice"):
        stage_arguments(smk, demo)


def test_bad_input_ends_the_job_with_one_line_naming_rule_file_and_column(tmp_path):
    smk = job(
        tmp_path,
        rule="shard",
        input={"table": "/data/x.parquet"},
        output={"summary": "s"},
        params={"settings": {"fail": "input"}},
    )
    with pytest.raises(SystemExit) as stop:
        run_stage(smk, demo, shard="x")
    message = "rule shard: file /data/x.parquet, column 'objra': 1 NaN positions"
    assert str(stop.value) == message
    assert message in (tmp_path / "job.log").read_text()


def test_other_failures_keep_their_traceback_and_reach_the_log(tmp_path):
    smk = job(
        tmp_path,
        input={"table": "t"},
        output={"summary": "s"},
        params={"settings": {"fail": "bug"}},
    )
    with pytest.raises(RuntimeError, match="a bug"):
        run_stage(smk, demo, shard="x")
    log = (tmp_path / "job.log").read_text()
    assert "rule demo failed" in log and "RuntimeError: a bug" in log
