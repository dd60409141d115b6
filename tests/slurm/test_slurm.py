"""The SLURM profile, run for real on a single-node SLURM cluster started by the tests.

The tiny workflow goes through ``--profile profiles/slurm`` unchanged, plus the options a site
without accounting and account names needs; one job (a partition_catalog) is cancelled with
scancel while it runs. The run must retry it and end with catalogs byte-identical to a local
run's. (Rerunning one shard and --rerun-incomplete after a kill are the same Snakemake mechanics
under any executor: tests/workflow/test_workflow.py covers them with the local one, in every run.)

These tests install and start munged, slurmctld and slurmd, which needs root: they run in
``make test`` when CI=true (CI runs as root) or QZO_SLURM_TESTS=1, and are skipped otherwise.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time

import pytest
from conftest import REPO, catalog_files, run_workflow
from slurm_cluster import ClusterUnavailable, slurm_cluster, squeue_jobs, why_unavailable

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


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = why_unavailable()
    if reason:
        pytest.fail(f"cannot start the SLURM test cluster: {reason}")
    try:
        with slurm_cluster(tmp_path_factory.mktemp("slurm")) as env:
            yield env
    except ClusterUnavailable as exc:
        pytest.fail(f"cannot start the SLURM test cluster: {exc}")


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


@pytest.fixture(scope="module")
def slurm_run(cluster, tmp_path_factory):
    work = tmp_path_factory.mktemp("slurm_run")
    canceller = CancelOneJob(cluster, "partition_catalog")
    canceller.start()
    try:
        proc = run_workflow(
            work, "--profile", REPO / "profiles" / "slurm", *SITE_OPTIONS, env=cluster
        )
    finally:
        canceller.stop.set()
        canceller.join()
    return work, proc, canceller.cancelled, squeue_jobs(cluster)


def test_profile_runs_the_workflow_on_slurm(slurm_run):
    work, proc, _, jobs = slurm_run
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    assert (work / "results/evaluate/summary.json").exists()
    # Jobs ran as SLURM jobs (the gathers marked local ran in Snakemake's own process).
    assert len(jobs) > 20
    assert list((work / "logs/slurm").rglob("*.log"))


def test_gpu_rules_went_to_the_gpu_partition_with_a_gpu(slurm_run):
    _, proc, _, jobs = slurm_run
    assert proc.returncode == 0
    by_rule: dict[str, set] = {}
    for job in jobs:
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
    _, proc, cancelled, jobs = slurm_run
    assert cancelled is not None, "no partition_catalog job was seen running"
    states = {job["id"]: job["state"] for job in jobs}
    assert states[cancelled] == "CANCELLED"
    out = proc.stdout + proc.stderr
    # Snakemake saw the (group) job fail, named its SLURM log, and submitted it again.
    assert f"/{cancelled}.log (check log file(s) for error details)" in out
    assert "Trying to restart job" in out
    assert proc.returncode == 0  # the retry completed the shards


def test_catalogs_equal_the_local_run_byte_for_byte(slurm_run, tiny_run):
    work, proc, _, _ = slurm_run
    assert proc.returncode == 0
    slurm, local = catalog_files(work), catalog_files(tiny_run)
    assert sorted(slurm) == sorted(local)
    different = [name for name in local if slurm[name] != local[name]]
    assert different == []
