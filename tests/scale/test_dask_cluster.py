"""examples/dask_etl.py on a real Dask LocalCluster with a worker killed mid-task."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.scale.servers import ROOT


def test_dask_job_survives_a_killed_worker_exactly_once_with_one_login_per_expiry() -> None:
    """4 worker processes, one SIGKILLed mid-task: re-executed partitions duplicate nothing,
    nothing is lost, and each token expiry costs one login across the cluster."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNERISE_")}
    env["PYTHONWARNINGS"] = "always::ResourceWarning"  # inherited by the worker processes
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "dask_etl.py"),
            *("--events", "100000", "--partitions", "20", "--workers", "4", "--json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=ROOT,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("SUMMARY "))
    summary = json.loads(line.removeprefix("SUMMARY "))
    assert summary["workers"] == 4
    assert summary["killed_worker"]
    assert summary["partitions_re_executed"] >= 1  # Dask really ran some tasks twice ...
    assert summary["overwrites"] > 0  # ... and their events reached the fake twice
    assert (summary["lost"], summary["duplicated"], summary["failed"]) == (0, 0, 0)
    assert summary["stored"] == summary["events"] == 100_000
    assert summary["max_logins_per_expiry"] == 1
    assert summary["logins"] == summary["token_expiries"]
    assert "ResourceWarning" not in output
