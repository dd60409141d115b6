"""The SLURM profile, run for real on a single-node SLURM cluster started by the tests.

The tiny workflow goes through ``--profile profiles/slurm`` unchanged, plus the options a site
without accounting and account names needs; one job (a partition_catalog) is cancelled with
scancel while it runs. The run must retry it and end with catalogs byte-identical to a local
run's. (Rerunning one shard and --rerun-incomplete after a kill are the same Snakemake mechanics
under any executor: tests/workflow/test_workflow.py covers them with the local one, in every run.)
The run starts with the first test here and goes on beside the other tests (conftest.py).

These tests install and start munged, slurmctld and slurmd, which needs root: they run in
``make test`` when CI=true (CI runs as root) or QZO_SLURM_TESTS=1, and are skipped otherwise.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO, catalog_files, start_workflow
from slurm_cluster import ClusterUnavailable, slurm_cluster, squeue_jobs, why_unavailable

from qzo.testing.snakemake import BackgroundRun

ENABLED = os.environ.get("CI") == "true" or os.environ.get("QZO_SLURM_TESTS") == "1"
pytestmark = [
    pytest.mark.workflow,
    pytest.mark.skipif(
        not ENABLED,
        reason="SLURM tests start a real slurmctld/slurmd as root: set CI=true or "
        "QZO_SLURM_TESTS=1 to run them",
    ),
]


# What this cluster needs beyond the profile: no sacct (no accounting database), no accounts,
# and a short wait before the first status check (the profile keeps the plugin's 40 s).
SITE_OPTIONS = (
    # Groups of 8 shards: the tiny sky's 25 shards make several group jobs.
    "--group-components",
    "shards=8",
    "--slurm-status-command",
    "squeue",
    "--slurm-no-account",
    "--slurm-init-seconds-before-status-checks",
    "1",
)
#: The rule whose first running job is cancelled with scancel.
CANCELLED_RULE = "partition_catalog"


class CancelOneJob(threading.Thread):
    """Cancels (scancel) the first running job whose SLURM comment names ``rule``, once."""

    def __init__(self, env: dict, rule: str):
        super().__init__(daemon=True)
        self.env, self.rule = env, rule
        self.cancelled: str | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and self.cancelled is None:
            for job in squeue_jobs(self.env, states="RUNNING"):
                if self.rule in job["comment"]:
                    subprocess.run(["scancel", job["id"]], env=self.env, check=True)
                    self.cancelled = job["id"]
                    break
            time.sleep(0.2)


@dataclass
class SlurmRun:
    """The workflow run through the SLURM profile: its folder, process, cancelled job (if one
    was seen running) and every job SLURM listed at the end."""

    work: Path
    proc: subprocess.CompletedProcess
    cancelled: str | None
    jobs: list[dict[str, str]]


@dataclass
class StartedRun:
    """The SLURM run while it goes on: the cluster's client environment, the run's folder and
    process, and the thread that cancels one of its jobs."""

    env: dict
    work: Path
    run: BackgroundRun
    canceller: CancelOneJob


@pytest.fixture(scope="session")
def slurm_started(tmp_path_factory) -> Iterator[StartedRun]:
    """A one-node SLURM cluster running the tiny workflow with ``--profile profiles/slurm``."""
    reason = why_unavailable()
    if reason:
        pytest.fail(f"cannot start the SLURM test cluster: {reason}")
    try:
        with slurm_cluster(tmp_path_factory.mktemp("slurm")) as env:
            work = tmp_path_factory.mktemp("slurm_run")
            canceller = CancelOneJob(env, CANCELLED_RULE)
            canceller.start()
            run = start_workflow(
                work, "--profile", REPO / "profiles" / "slurm", *SITE_OPTIONS, env=env
            )
            try:
                yield StartedRun(env, work, run, canceller)
            finally:
                canceller.stop.set()
                if run.running():
                    run.process.kill()
                run.wait()
    except ClusterUnavailable as exc:
        pytest.fail(f"cannot start the SLURM test cluster: {exc}")


@pytest.fixture(scope="session")
def slurm_run(slurm_started) -> SlurmRun:
    """The finished SLURM run."""
    proc = slurm_started.run.wait(timeout=1800)
    canceller = slurm_started.canceller
    canceller.stop.set()
    canceller.join()
    return SlurmRun(slurm_started.work, proc, canceller.cancelled, squeue_jobs(slurm_started.env))


def test_the_profile_submits_the_workflow_to_slurm(slurm_started):
    """The run starts here and goes on beside the other tests (see conftest.py)."""
    deadline = time.monotonic() + 600
    while not squeue_jobs(slurm_started.env) and slurm_started.run.running():
        assert time.monotonic() < deadline, "no job reached SLURM in 600 s"
        time.sleep(0.5)
    jobs = squeue_jobs(slurm_started.env)
    assert jobs, slurm_started.run.wait().stderr[-3000:]
    # The first job, the simulation, went to the profile's default partition.
    first = [job for job in jobs if job["comment"].startswith("rule_simulate")]
    assert [job["partition"] for job in first] == ["cpu"], jobs


def test_profile_runs_the_workflow_on_slurm(slurm_run):
    proc, jobs = slurm_run.proc, slurm_run.jobs
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    assert (slurm_run.work / "results/evaluate/summary.json").exists()
    # Jobs ran as SLURM jobs (the gathers marked local ran in Snakemake's own process).
    assert len(jobs) > 20
    assert list((slurm_run.work / "logs/slurm").rglob("*.log"))


def test_gpu_rules_went_to_the_gpu_partition_with_a_gpu(slurm_run):
    assert slurm_run.proc.returncode == 0
    by_rule: dict[str, set] = {}
    for job in slurm_run.jobs:
        rule = job["comment"].removeprefix("rule_").split("_wildcards_")[0]
        by_rule.setdefault(rule, set()).add((job["partition"], job["gpus"], job["cpus"]))
    for rule in (
        "astromer_pretrain",
        "astromer_finetune",
        "astromer_finetune_fold",
        "astromer_infer",
    ):
        assert by_rule[rule] == {("gpu", "gres:gpu:1", "8")}, rule
    # Shards ran in group jobs on the CPU partition, several shards per job.
    assert {p for p, _, _ in by_rule["shards_shard"]} == {"cpu"}
    assert "shard" not in by_rule


def test_cancelled_job_is_retried(slurm_run):
    proc, cancelled = slurm_run.proc, slurm_run.cancelled
    assert cancelled is not None, "no partition_catalog job was seen running"
    states = {job["id"]: job["state"] for job in slurm_run.jobs}
    assert states[cancelled] == "CANCELLED"
    out = proc.stdout + proc.stderr
    # Snakemake saw the (group) job fail, named its SLURM log, and submitted it again.
    assert f"/{cancelled}.log (check log file(s) for error details)" in out
    assert "Trying to restart job" in out
    assert proc.returncode == 0  # the retry completed the shards


def test_catalogs_equal_the_local_run_byte_for_byte(slurm_run, tiny_run):
    assert slurm_run.proc.returncode == 0
    slurm, local = catalog_files(slurm_run.work), catalog_files(tiny_run)
    assert sorted(slurm) == sorted(local)
    different = [name for name in local if slurm[name] != local[name]]
    assert different == []
