"""The targets table of issue 13 is computed from the run's samples (bench/report.py)."""

from __future__ import annotations

from typing import Any

from bench.report import evaluate_targets, render


def _samples(rate: float, cpu_us: float, n: int = 3) -> list[dict[str, Any]]:
    """``n`` samples of 1,000 requests at ``rate`` per second and ``cpu_us`` CPU per request."""
    wall = 1000 / rate
    return [
        {"ops": 1000, "wall": wall, "cpu": cpu_us * 1000 / 1e6, "requests": 1000, "server_cpu": 0.1}
        for _ in range(n)
    ]


def _case(workload: str, name: str, params: dict[str, Any], **rows: Any) -> dict[str, Any]:
    return {"workload": workload, "name": name, "unit": "req/s", "params": params, "samples": rows}


def _by_target(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["target"]: t for t in evaluate_targets(results)}


def test_w1_cpu_and_throughput_ratios_against_aiohttp_orjson() -> None:
    """W1 at concurrency 16 passes the CPU target at 1.04x and misses throughput at 0.90x."""
    case = _case(
        "W1",
        "small GETs, concurrency 16",
        {"concurrency": 16},
        **{"aiohttp-orjson": _samples(1000, 100), "synerise-async": _samples(900, 104)},
    )
    targets = _by_target({"cases": [case]})
    cpu = targets["W1 small GETs, concurrency 16: client CPU µs/request <= 1.05x aiohttp+orjson"]
    assert (cpu["measured"], cpu["verdict"]) == ("1.04x", "PASS")
    rate = targets["W1 small GETs, concurrency 16: req/s >= 0.95x aiohttp+orjson"]
    assert (rate["measured"], rate["verdict"]) == ("0.90x", "MISS")


def test_w1_at_concurrency_1_is_not_a_target() -> None:
    """Issue 13 judges W1 at concurrency 16 and 128 only."""
    case = _case(
        "W1",
        "c1",
        {"concurrency": 1},
        **{"aiohttp-orjson": _samples(1000, 100), "synerise-async": _samples(500, 300)},
    )
    assert evaluate_targets({"cases": [case]}) == []


def test_w2_raw_mode_missing_is_not_measured_never_pass() -> None:
    """Without the raw competitor the raw-mode target says "not measured"; models vs json counts."""
    case = _case(
        "W2",
        "list",
        {},
        **{
            "aiohttp-json": _samples(1000, 100),
            "aiohttp-orjson": _samples(2000, 50),
            "synerise-async": _samples(1100, 90),
        },
    )
    targets = _by_target({"cases": [case]})
    raw = targets["W2 list: raw mode >= 0.9x aiohttp+orjson (dicts)"]
    assert raw["verdict"] == "not measured" and raw["measured"] == "-"
    models = targets["W2 list: models >= 1.0x aiohttp+json (dicts)"]
    assert (models["measured"], models["verdict"]) == ("1.10x", "PASS")


def test_w2_raw_mode_judged_against_orjson_when_present() -> None:
    """With the raw competitor in the run, its ratio to aiohttp+orjson decides the verdict."""
    case = _case(
        "W2",
        "list",
        {},
        **{
            "aiohttp-json": _samples(1000, 100),
            "aiohttp-orjson": _samples(2000, 50),
            "synerise-async": _samples(1100, 90),
            "synerise-async-raw": _samples(1700, 60),
        },
    )
    raw = _by_target({"cases": [case]})["W2 list: raw mode >= 0.9x aiohttp+orjson (dicts)"]
    assert (raw["measured"], raw["verdict"]) == ("0.85x", "MISS")


def test_w3_judged_against_the_salted_hand_written_sender() -> None:
    """Each W3 case compares send_many with the salted baseline; the plain one is context only."""
    case = _case(
        "W3",
        "events, batches of 100, clean",
        {},
        **{
            "aiohttp-orjson": _samples(2000, 10),
            "aiohttp-orjson-salted": _samples(1000, 20),
            "synerise-async": _samples(950, 21),
        },
    )
    targets = evaluate_targets({"cases": [case]})
    judged = [t for t in targets if t["group"] == "issue 13"]
    assert [(t["measured"], t["verdict"]) for t in judged] == [("0.95x", "PASS")]
    assert "salted by hand" in judged[0]["target"]
    context = [t for t in targets if t["group"] == "context"]
    assert [t["measured"] for t in context] == ["0.47x"]


def _scale_row(operations: int, import_cpu: float, rss: float) -> dict[str, Any]:
    row: dict[str, Any] = {"operations": operations, "schemas": operations}
    for key, value in (("import_cpu_s", import_cpu), ("call0_cpu_s", 0.1), ("rss_mb", rss)):
        row.update({key: value, key + "_min": value, key + "_max": value})
    return row


def test_scale_flatness_uses_the_tolerance_and_judges_only_the_730_spec() -> None:
    """Import CPU 1.3x from 100 to 730 operations is a MISS at 1.2x; a 30-op run is n/a."""

    def results(large: int) -> dict[str, Any]:
        return {
            "w6": {
                "scale": {
                    "tolerance": 1.2,
                    "runs": 1,
                    "sizes": {
                        "synthetic 100 ops": _scale_row(100, 0.5, 40.0),
                        f"synthetic {large} ops": _scale_row(large, 0.65, 41.0),
                        "real package": _scale_row(264, 0.5, 40.0),
                    },
                }
            }
        }

    full = _by_target(results(730))
    assert full["W6 scale: client import CPU at 730 ops <= 1.2x at 100 ops (flat)"]["verdict"] == (
        "MISS"
    )
    assert full["W6 scale: RSS after import + first call at 730 ops <= 1.2x at 100 ops (flat)"][
        "verdict"
    ] == ("PASS")
    small = evaluate_targets(results(300))
    assert {t["verdict"] for t in small} == {"n/a"}


def test_render_groups_targets_and_context() -> None:
    """The rendered targets section lists issue 13's rows before the context rows."""
    case = _case(
        "W3",
        "events",
        {},
        **{
            "aiohttp-orjson": _samples(2000, 10),
            "aiohttp-orjson-salted": _samples(1000, 20),
            "synerise-async": _samples(950, 21),
        },
    )
    results: dict[str, Any] = {
        "cases": [case],
        "machine": {},
        "settings": {"mode": "tiny", "reps": 1, "w3_concurrency": 4},
        "command": "python -m bench --tiny",
        "date": "today",
        "elapsed": 1.0,
        "commands": [],
        "method": [],
    }
    results["targets"] = evaluate_targets(results)
    markdown = render(results)
    assert markdown.index("## Targets (issue 13)") < markdown.index("### Context (no target)")
    assert "| W3 events: send_many >= 0.9x aiohttp+orjson salted by hand | 0.95x | **PASS** |" in (
        markdown
    )


def test_instruction_counts_become_context_rows_and_a_table() -> None:
    """Valgrind counts give a ratio to the first competitor, shown as context, never a verdict."""
    run = {
        "workload": "W1",
        "params": {"concurrency": 16, "batch": 100, "short": 300, "long": 1300},
        "unit": "request",
        "per_unit": {"aiohttp-orjson": 340_000.0, "synerise-async": 351_900.0},
    }
    results: dict[str, Any] = {
        "cases": [],
        "instructions": [run],
        "machine": {},
        "settings": {"mode": "full", "reps": 5, "w3_concurrency": 16},
        "command": "python -m bench",
        "date": "today",
        "elapsed": 1.0,
        "commands": [],
        "method": [],
    }
    row = _by_target(results)[
        "W1, concurrency 16: CPU instructions per request (valgrind): synerise-async vs "
        "aiohttp + orjson (by hand)"
    ]
    assert (row["measured"], row["verdict"], row["group"]) == ("1.035x", "-", "context")
    results["targets"] = evaluate_targets(results)
    markdown = render(results)
    assert "## CPU instructions (valgrind)" in markdown
    assert "| synerise-async | 351.90k per request | 1.035x |" in markdown


def _paired(workload: str, params: dict[str, Any], cpu: dict[str, float], rate: dict[str, float]
            ) -> dict[str, Any]:  # fmt: skip
    return {
        "workload": workload,
        "name": f"small GETs, concurrency {params.get('concurrency')}"
        if workload == "W1"
        else f"send_many, batches of {params['batch']}, clean",
        "unit": "request" if workload == "W1" else "event",
        "params": {"rounds": 200, **params},
        "cpu_us": {"aiohttp-orjson": [100.0], "synerise-async": [104.0]},
        "wall_us": {"aiohttp-orjson": [100.0], "synerise-async": [104.0]},
        "summary": {"synerise-async": {"cpu": cpu, "rate": rate}},
    }


def test_paired_slices_judge_w1_by_their_interval() -> None:
    """A CPU interval below 1.05x passes, one holding 1.05x is AT BOUND, one above it misses."""
    case = _case(
        "W1",
        "5,000 small GETs, concurrency 16",
        {"concurrency": 16},
        **{"aiohttp-orjson": _samples(1000, 100), "synerise-async": _samples(800, 120)},
    )
    verdicts = []
    for low, high in ((1.01, 1.049), (1.03, 1.07), (1.051, 1.09)):
        pair = _paired(
            "W1",
            {"concurrency": 16},
            {"median": (low + high) / 2, "low": low, "high": high},
            {"median": 1.0, "low": 0.97, "high": 1.02},
        )
        targets = _by_target({"cases": [case], "paired": [pair], "settings": {}})
        cpu = targets[
            "W1 small GETs, concurrency 16: client CPU µs/request <= 1.05x aiohttp+orjson"
        ]
        verdicts.append(cpu["verdict"])
        assert cpu["group"] == "issue 13" and "95% interval" in cpu["measured"]
        rate = targets["W1 small GETs, concurrency 16: req/s >= 0.95x aiohttp+orjson"]
        assert rate["verdict"] == "PASS"
    assert verdicts == ["PASS", "AT BOUND", "MISS"]
    repeated = targets[
        "W1 5,000 small GETs, concurrency 16 (whole repetitions, ratio of medians): "
        "client CPU µs/request <= 1.05x aiohttp+orjson"
    ]
    assert (repeated["measured"], repeated["verdict"], repeated["group"]) == (
        "1.20x",
        "-",
        "context",
    )


def test_paired_w3_replaces_only_the_clean_batches_of_100() -> None:
    """The paired W3 row judges batches of 100 without 429s; the 429 case keeps its own verdict."""
    params = {"batch": 100, "concurrency": 16}
    rows = {"aiohttp-orjson-salted": _samples(1000, 5), "synerise-async": _samples(880, 5)}
    clean = _case(
        "W3", "100,000 events, batches of 100, clean", {**params, "fail_every": 0}, **rows
    )
    throttled = _case("W3", "100,000 events, batches of 100, 10% 429s", {**params, "fail_every": 10},
                      **rows)  # fmt: skip
    pair = _paired("W3", params, {"median": 1.0, "low": 0.95, "high": 1.05},
                   {"median": 0.97, "low": 0.93, "high": 1.01})  # fmt: skip
    targets = evaluate_targets({"cases": [clean, throttled], "paired": [pair], "settings": {}})
    judged = [(t["target"], t["verdict"]) for t in targets if t["group"] == "issue 13"]
    assert judged == [
        ("W3 send_many, batches of 100, clean: send_many >= 0.9x aiohttp+orjson salted by hand",
         "PASS"),
        ("W3 100,000 events, batches of 100, 10% 429s: send_many >= 0.9x aiohttp+orjson salted "
         "by hand", "MISS"),
    ]  # fmt: skip


def test_paired_rounds_too_few_to_judge_say_n_a() -> None:
    """Fewer rounds than the settings' minimum give n/a, however narrow the interval."""
    case = _case("W1", "c16", {"concurrency": 16}, **{"aiohttp-orjson": _samples(1000, 100),
                                                      "synerise-async": _samples(1000, 100)})  # fmt: skip
    pair = _paired("W1", {"concurrency": 16}, {"median": 1.0, "low": 1.0, "high": 1.0},
                   {"median": 1.0, "low": 1.0, "high": 1.0})  # fmt: skip
    pair["params"]["rounds"] = 2
    targets = evaluate_targets(
        {"cases": [case], "paired": [pair], "settings": {"paired_min_rounds": 30}}
    )
    assert {t["verdict"] for t in targets if t["group"] == "issue 13"} == {"n/a"}
