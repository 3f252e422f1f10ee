"""Smoke test of the benchmark harness: a tiny run produces complete, well-formed results.

Timings are never asserted (CI machines vary); only that every workload ran for every
competitor and produced positive numbers, and that BENCHMARKS-style output was written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPETITORS = {"aiohttp-json", "aiohttp-orjson", "synerise-async", "stock-opc", "httpx"}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--tiny",
            "--quiet",
            "--output",
            str(out / "BENCHMARKS.md"),
            "--json",
            str(out / "results.json"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = json.loads((out / "results.json").read_text())
    return results, (out / "BENCHMARKS.md").read_text()


def test_every_competitor_ran_every_case(tiny_run: tuple[dict[str, Any], str]) -> None:
    """W1-W3 have a sample from every competitor, with positive wall, CPU and request counts."""
    results, _ = tiny_run
    assert not results["notes"], results["notes"]
    assert set(results["competitors"]) == COMPETITORS
    workloads = {case["workload"] for case in results["cases"]}
    assert workloads == {"W1", "W2", "W3"}
    for case in results["cases"]:
        assert COMPETITORS <= set(case["samples"]), case["name"]
        for samples in case["samples"].values():
            for sample in samples:
                assert sample["wall"] > 0 and sample["cpu"] > 0
                assert sample["ops"] > 0 and sample["requests"] > 0


def test_w3_has_the_exactly_once_hand_written_baseline(
    tiny_run: tuple[dict[str, Any], str],
) -> None:
    """Every W3 case has the salted aiohttp + orjson sender, and the server accepted each event."""
    results, markdown = tiny_run
    w3 = [case for case in results["cases"] if case["workload"] == "W3"]
    assert w3
    for case in w3:
        samples = case["samples"]["aiohttp-orjson-salted"]
        assert samples
        for sample in samples:
            assert sample["ops"] == case["params"]["events"]
            assert sample["extra"]["events_accepted"] >= case["params"]["events"]
    assert "salted + batched by hand" in markdown


def test_token_storm_memory_and_import_results_present(
    tiny_run: tuple[dict[str, Any], str],
) -> None:
    """W4 counted logins, W5 measured RSS for each streamer, W6 timed imports and generation."""
    results, _ = tiny_run
    for runs_by in results["w4"]["runs"].values():
        assert all(run["logins"] >= 1 for run in runs_by["synerise-async"])
    w5 = results["w5"]["runs"]
    assert set(w5) == COMPETITORS - {"aiohttp-json"}
    for runs in w5.values():
        assert all(run["items"] == results["w5"]["items"] and run["peak_mb"] > 0 for run in runs)
    w6 = results["w6"]
    assert w6["import_ours"]["median_seconds"] > 0
    assert w6["import_stock"]["median_seconds"] > 0
    assert w6["generate"]["seconds"] > 0 and w6["generate"]["files"] > 0


def test_scale_out_overhead_rows_present(tiny_run: tuple[dict[str, Any], str]) -> None:
    """W7 timed the request with no limiter, a local one, a Redis one and the Redis cache."""
    results, markdown = tiny_run
    runs = results["w7"]["runs"]
    assert set(runs) == {"none", "local", "redis-limiter", "redis-cache"}
    for samples in runs.values():
        assert all(s["requests"] >= results["w7"]["requests"] and s["cpu"] > 0 for s in samples)
    assert "## W7" in markdown


def test_report_has_machine_targets_and_tables(tiny_run: tuple[dict[str, Any], str]) -> None:
    """The markdown names the machine, lists every issue-5 target with a verdict, and has tables."""
    results, markdown = tiny_run
    for heading in ("## Machine", "## Targets (issue 5)", "## W1", "## W2", "## W3", "## W4",
                    "## W5", "## W6"):  # fmt: skip
        assert heading in markdown
    verdicts = {t["verdict"] for t in results["targets"]}
    assert verdicts <= {"PASS", "MISS", "n/a"}
    assert len(results["targets"]) >= 8
    assert "aiohttp" in markdown and "cores" in markdown
