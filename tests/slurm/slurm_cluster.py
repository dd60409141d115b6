"""A single-node SLURM cluster on this machine, for testing the SLURM profile for real.

Debian's ``slurm-wlm`` (22.05 on bookworm) and ``munge``, installed as root if missing. The cluster
is started by hand (no systemd): munged, then slurmctld and slurmd with a ``slurm.conf`` written
for this host, their state in a private directory. There is no accounting database, so job
states come from ``squeue`` only.

The configuration goes to SLURM's default place, /etc/slurm (not only behind ``SLURM_CONF``):
the plugin's job step runs a nested srun with every SLURM_* variable but the job's identity
removed, so jobs find the configuration only there. A slurm.conf found there that this module did
not write is left alone and the cluster is refused.

Use :func:`slurm_cluster` as a context manager; it yields the environment that sbatch, squeue,
scancel and Snakemake need, and stops the daemons and removes the configuration on exit.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# The profile's placeholder partitions, both on this one node: the profile runs unchanged.
PARTITIONS = ("cpu", "gpu")
# The node is declared larger than this 2-core machine (slurmd takes the declared values with
# SlurmdParameters=config_overrides) and with fake GPUs (see FAKE_GPU_FILES), so that the
# profile's real requests (8 CPUs and a GPU for the transformer jobs, memory scaled by attempt)
# are scheduled as they are. Nothing enforces the limits (no cgroups): jobs share the real cores.
NODE_CPUS = 32
NODE_MEMORY_MB = 64000
# One character device per fake GPU (slurmd wants a device file for each; nothing opens them).
FAKE_GPU_FILES = "/dev/null,/dev/zero,/dev/full,/dev/urandom"
NODE_GPUS = len(FAKE_GPU_FILES.split(","))
PACKAGES = ("slurm-wlm", "munge")
MUNGE_SOCKET = Path("/run/munge/munge.socket.2")
CONF_DIR = Path("/etc/slurm")
MARKER = "# Written by qzo tests/slurm_cluster.py for a throwaway test cluster."


class ClusterUnavailable(RuntimeError):
    """This machine cannot host the test cluster (not root, no apt, daemons do not start)."""


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)


def why_unavailable() -> str | None:
    """Why a cluster cannot be started here, or None if it can (as root, with apt or SLURM)."""
    if os.geteuid() != 0:
        return "starting slurmctld/slurmd/munged needs root"
    if not shutil.which("slurmctld") and not shutil.which("apt-get"):
        return "slurm-wlm is not installed and apt-get is not available"
    return None


def install_packages() -> None:
    """Install slurm-wlm and munge from Debian if any of their daemons is missing."""
    if all(shutil.which(p) for p in ("slurmctld", "slurmd", "munged", "sbatch")):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", *PACKAGES]):
        proc = _run(cmd, env=env)
        if proc.returncode != 0:
            raise ClusterUnavailable(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")


def write_slurm_conf(state_dir: Path, host: str, conf_dir: Path = CONF_DIR) -> Path:
    """slurm.conf (and gres.conf beside it) in ``conf_dir`` for one node, this host, in
    partitions cpu and gpu, with its state under ``state_dir``; no accounting, no cgroups."""
    for sub in ("state", "spool"):
        (state_dir / sub).mkdir(parents=True, exist_ok=True)
    conf = conf_dir / "slurm.conf"
    if conf.exists() and MARKER not in conf.read_text():
        raise ClusterUnavailable(f"{conf} exists and was not written by the tests: left alone")
    conf_dir.mkdir(parents=True, exist_ok=True)
    conf.write_text(
        "\n".join(
            [
                MARKER,
                "ClusterName=qzotest",
                f"SlurmctldHost={host}",
                "SlurmUser=root",
                "SlurmdUser=root",
                "AuthType=auth/munge",
                "MpiDefault=none",
                "ProctrackType=proctrack/linuxproc",
                "TaskPlugin=task/none",
                "JobAcctGatherType=jobacct_gather/none",
                "AccountingStorageType=accounting_storage/none",
                "SchedulerType=sched/backfill",
                "SelectType=select/cons_tres",
                "SelectTypeParameters=CR_Core_Memory",
                "ReturnToService=2",
                "SlurmdParameters=config_overrides",
                "GresTypes=gpu",
                # Let the scheduler see new jobs quickly; tests submit many small ones.
                "SchedulerParameters=sched_interval=2",
                # Finished jobs stay listed for the whole run (there is no accounting database):
                # the tests read every job's state at the end, however slow the machine is.
                "MinJobAge=7200",
                "KillWait=5",
                f"StateSaveLocation={state_dir / 'state'}",
                f"SlurmdSpoolDir={state_dir / 'spool'}",
                f"SlurmctldPidFile={state_dir / 'slurmctld.pid'}",
                f"SlurmdPidFile={state_dir / 'slurmd.pid'}",
                f"SlurmctldLogFile={state_dir / 'slurmctld.log'}",
                f"SlurmdLogFile={state_dir / 'slurmd.log'}",
                f"NodeName={host} CPUs={NODE_CPUS} RealMemory={NODE_MEMORY_MB} Gres=gpu:{NODE_GPUS}"
                " State=UNKNOWN",
                *(
                    f"PartitionName={name} Nodes={host} Default={'YES' if i == 0 else 'NO'}"
                    " MaxTime=INFINITE State=UP"
                    for i, name in enumerate(PARTITIONS)
                ),
                "",
            ]
        )
    )
    (conf_dir / "gres.conf").write_text(
        f"{MARKER}\nNodeName={host} Name=gpu File={FAKE_GPU_FILES}\n"
    )
    return conf


def _start_munge() -> None:
    if MUNGE_SOCKET.exists() and _run(["munge", "-n"]).returncode == 0:
        return
    MUNGE_SOCKET.parent.mkdir(parents=True, exist_ok=True)
    shutil.chown(MUNGE_SOCKET.parent, "munge", "munge")
    proc = _run(["runuser", "-u", "munge", "--", "munged"])
    if proc.returncode != 0:
        raise ClusterUnavailable(f"munged did not start: {proc.stderr.strip()}")


def _wait_for_node(env: dict, state_dir: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        proc = _run(["sinfo", "--noheader", "--format=%t"], env=env)
        state = proc.stdout.strip()
        if proc.returncode == 0 and state in {"idle", "mix", "alloc"}:
            return
        time.sleep(1)
    logs = "\n".join(
        f"--- {name}\n{(state_dir / name).read_text()[-1500:]}"
        for name in ("slurmctld.log", "slurmd.log")
        if (state_dir / name).exists()
    )
    raise ClusterUnavailable(f"the node did not become idle in {timeout:.0f} s ({state!r})\n{logs}")


def _stop(pid_file: Path) -> None:
    if not pid_file.exists():
        return
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 15)
        for _ in range(50):
            os.kill(pid, 0)
            time.sleep(0.1)
    except (ProcessLookupError, ValueError):
        pass


@contextmanager
def slurm_cluster(state_dir: Path) -> Iterator[dict]:
    """Start a one-node cluster with its files under ``state_dir``; yield the client environment
    (``SLURM_CONF`` set); scancel everything, stop the daemons and remove the configuration on
    exit."""
    reason = why_unavailable()
    if reason:
        raise ClusterUnavailable(reason)
    install_packages()
    host = socket.gethostname()
    conf = write_slurm_conf(state_dir, host)
    env = dict(os.environ, SLURM_CONF=str(conf))
    _start_munge()
    daemons = []
    try:
        for daemon in ("slurmctld", "slurmd"):
            # -c: start from a clean state (no jobs left over from an earlier test run).
            proc = _run([daemon, "-c"] if daemon == "slurmctld" else [daemon], env=env)
            if proc.returncode != 0:
                raise ClusterUnavailable(f"{daemon} did not start: {proc.stderr.strip()}")
            daemons.append(state_dir / f"{daemon}.pid")
        _wait_for_node(env, state_dir)
        yield env
    finally:
        _run(["scancel", "--full", f"--partition={','.join(PARTITIONS)}"], env=env)
        for pid_file in reversed(daemons):
            _stop(pid_file)
        for name in ("slurm.conf", "gres.conf"):
            (conf.parent / name).unlink(missing_ok=True)


SQUEUE_FIELDS = ("id", "comment", "state", "partition", "gpus", "cpus")


def squeue_jobs(env: dict, states: str = "all") -> list[dict[str, str]]:
    """The jobs SLURM knows in ``states``: id, comment (Snakemake's plugin puts the rule there),
    state, partition, GPUs requested (``gres:gpu:N`` or ``N/A``) and CPUs."""
    columns = "JobID:40,Comment:300,State:20,Partition:30,tres-per-job:40,NumCPUs:8"
    proc = _run(["squeue", "--noheader", f"--states={states}", "-O", columns], env=env)
    return [
        dict(zip(SQUEUE_FIELDS, line.split(), strict=True)) for line in proc.stdout.splitlines()
    ]
