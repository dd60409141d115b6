"""The subprocess runner the tests and benchmarks start workflows with."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from qzo.testing.snakemake import BackgroundRun


def test_a_background_run_captures_both_streams_once():
    code = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"
    run = BackgroundRun([sys.executable, "-c", code], dict(os.environ))
    proc = run.wait(timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (3, "out\n", "err\n")
    assert not run.running()
    assert run.wait() is proc  # a second wait (a fixture's teardown) gives the same result


def test_a_run_past_its_timeout_is_killed():
    run = BackgroundRun([sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ))
    assert run.running()
    with pytest.raises(subprocess.TimeoutExpired):
        run.wait(timeout=0.5)
    assert run.process.returncode is not None  # killed, not left running
