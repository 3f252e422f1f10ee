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
        timeout=900,  # a shared 2-core machine; an idle one takes ~1 min
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
    # the raw-mode row joins when bench/clients.py has it
    assert set(w5) - {"synerise-async-raw"} == COMPETITORS - {"aiohttp-json"}
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
    """The markdown names the machine, lists issue 13's targets with a verdict, and has tables."""
    results, markdown = tiny_run
    for heading in ("## Machine", "## Targets (issue 13)", "## W1", "## W2", "## W3", "## W4",
                    "## W5", "## W6", "### Scale"):  # fmt: skip
        assert heading in markdown
    assert "Targets (issue 5)" not in markdown and ">= 120,000 items/s" not in markdown
    verdicts = {t["verdict"] for t in results["targets"]}
    assert verdicts <= {"PASS", "MISS", "AT BOUND", "n/a", "not measured", "-"}
    issue13 = [t["target"] for t in results["targets"] if t["group"] == "issue 13"]
    assert any("concurrency 16: client CPU µs/request <= 1.05x" in t for t in issue13)
    assert any("models >= 1.0x aiohttp+json" in t for t in issue13)
    w3_cases = [c for c in results["cases"] if c["workload"] == "W3"]
    assert sum("salted by hand" in t for t in issue13) == len(w3_cases)
    assert any(t.startswith("W6 scale: client import CPU") for t in issue13)
    assert "aiohttp" in markdown and "cores" in markdown


def test_tiny_sizes_are_never_judged(tiny_run: tuple[dict[str, Any], str]) -> None:
    """A tiny run's W5, regeneration and scale rows say n/a, not PASS: its sizes are too small."""
    results, _ = tiny_run
    for target in results["targets"]:
        if target["target"].startswith(("W5", "W6: regenerate", "W6 scale")):
            assert target["verdict"] == "n/a", target


def test_scale_sizes_measured_in_fresh_processes(tiny_run: tuple[dict[str, Any], str]) -> None:
    """W6 scale has each synthetic size and the real package, with import, first call and RSS."""
    results, markdown = tiny_run
    scale = results["w6"]["scale"]
    labels = list(scale["sizes"])
    assert labels[-1] == "real package"
    synthetic = [scale["sizes"][label] for label in labels if label.startswith("synthetic")]
    assert len(synthetic) == 2 and synthetic[0]["operations"] < synthetic[1]["operations"]
    assert [g["operations"] for g in scale["generations"]] == [s["operations"] for s in synthetic]
    for row in scale["sizes"].values():
        assert len(row["runs"]) == results["settings"]["w6_scale_runs"]
        assert row["import_cpu_s"] > 0 and row["call0_cpu_s"] > 0
        assert row["rss_mb"] > row["import_rss_mb"] > 0
        assert row["modules"] > row["import_modules"] > 0
        assert set(row["packages"]) == {
            "synerise_async.api",
            "synerise_async.models",
            "synerise_async.resources",
        }
    assert "From " in markdown and "flat = within" in markdown
    assert "Generated package `__init__` modules" in markdown


def test_from_json_re_renders_the_same_targets(
    tiny_run: tuple[dict[str, Any], str], tmp_path: Path
) -> None:
    """``--from-json`` re-renders a results file into the same targets table, measuring nothing."""
    results, markdown = tiny_run
    source = tmp_path / "results.json"
    source.write_text(json.dumps(results))
    output = tmp_path / "again.md"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--from-json", str(source), "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    again = output.read_text()
    section = markdown[markdown.index("## Targets") : markdown.index("## How it was measured")]
    assert section in again


def test_paired_slices_ran_with_their_control(tiny_run: tuple[dict[str, Any], str]) -> None:
    """W1 at concurrency 16 and W3 in batches of 100 ran as paired slices, control included."""
    results, markdown = tiny_run
    cases = {(c["workload"], c["name"]): c for c in results["paired"]}
    assert set(cases) == {
        ("W1", "small GETs, concurrency 16"),
        ("W3", "send_many, batches of 100, clean"),
    }
    for case in cases.values():
        rounds = case["params"]["rounds"]
        baseline, control, *_ = case["cpu_us"]
        assert control == baseline + " (again)"
        for per_unit in (*case["cpu_us"].values(), *case["wall_us"].values()):
            assert len(per_unit) == rounds and all(v > 0 for v in per_unit)
        assert set(case["summary"]) == set(list(case["cpu_us"])[1:])
    assert "## Paired slices (the W1 and W3 verdicts)" in markdown
