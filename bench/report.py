"""Turn a results dict into BENCHMARKS.md, with PASS/MISS for every target of issue 5."""

from __future__ import annotations

import statistics
from typing import Any

from .clients import COMPETITORS

__all__ = ["evaluate_targets", "render"]

DASH = "\u2013"
BASELINE = "aiohttp-orjson"
STDLIB = "aiohttp-json"
OURS = "synerise-async"
STOCK = "stock-opc"


def _fmt(value: float, digits: int = 0) -> str:
    if value >= 100 or digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def _med(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def _case_rows(case: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per competitor: median/min/max rate, cpu us per request, cpu and server shares."""
    rows = {}
    for key, samples in case["samples"].items():
        rates = [s["ops"] / s["wall"] for s in samples]
        rows[key] = {
            "median": _med(rates),
            "min": min(rates),
            "max": max(rates),
            "cpu_us_req": _med([s["cpu"] / s["requests"] * 1e6 for s in samples if s["requests"]]),
            "cpu_us_op": _med([s["cpu"] / s["ops"] * 1e6 for s in samples]),
            "client_cpu": _med([s["cpu"] / s["wall"] for s in samples]),
            "server_cpu": _med([s["server_cpu"] / s["wall"] for s in samples]),
            "requests": _med([s["requests"] for s in samples]),
            "n": len(samples),
        }
    return rows


def _ratio(rows: dict[str, dict[str, float]], key: str, base: str) -> float | None:
    if key not in rows or base not in rows or not rows[base]["median"]:
        return None
    return rows[key]["median"] / rows[base]["median"]


def evaluate_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The targets of issue 5 with the measured value and PASS/MISS (or n/a)."""
    targets: list[dict[str, Any]] = []

    def add(name: str, measured: str, ok: bool | None) -> None:
        verdict = "n/a" if ok is None else ("PASS" if ok else "MISS")
        targets.append({"target": name, "measured": measured, "verdict": verdict})

    for case in results.get("cases", []):
        rows = _case_rows(case)
        wl, params = case["workload"], case["params"]
        relevant = (wl == "W1" and params.get("concurrency") in (16, 128)) or wl == "W3"
        if not relevant:
            continue
        label = f"{wl} {case['name']}"
        r_orjson = _ratio(rows, OURS, BASELINE)
        r_json = _ratio(rows, OURS, STDLIB)
        add(
            f"{label}: >= 0.90x aiohttp+orjson",
            "-" if r_orjson is None else f"{r_orjson:.2f}x",
            None if r_orjson is None else r_orjson >= 0.90,
        )
        add(
            f"{label}: >= 1.0x aiohttp+json",
            "-" if r_json is None else f"{r_json:.2f}x",
            None if r_json is None else r_json >= 1.0,
        )
        if (wl == "W1" and params.get("concurrency") == 128) or wl == "W3":
            r_stock = _ratio(rows, OURS, STOCK)
            add(
                f"{label}: >= 5x stock openapi-python-client",
                "-" if r_stock is None else f"{r_stock:.1f}x",
                None if r_stock is None else r_stock >= 5.0,
            )
    for case in results.get("cases", []):
        if case["workload"] == "W2":
            rows = _case_rows(case)
            ours = rows.get(OURS)
            add(
                f"W2 {case['name']}: >= 120,000 items/s into models",
                "-" if ours is None else f"{ours['median']:,.0f} items/s",
                None if ours is None else ours["median"] >= 120_000,
            )
    w4 = results.get("w4")
    if w4:
        per_run = [
            run["logins"] for scenario in w4["runs"].values() for run in scenario.get(OURS, [])
        ]
        clean = all(
            run["unauthorized"] == 0 and run["errors"] == 0
            for scenario in w4["runs"].values()
            for run in scenario.get(OURS, [])
        )
        add(
            "W4: exactly 1 login per expiry (synerise-async)",
            f"logins per storm: {sorted(set(per_run))}; 401s/errors: {'none' if clean else 'some'}",
            bool(per_run) and all(n == 1 for n in per_run) and clean,
        )
    w5 = results.get("w5")
    if w5 and OURS in w5["runs"]:
        growth = max(run["growth_mb"] for run in w5["runs"][OURS])
        add(
            f"W5: RSS growth < 50 MB over {w5['items']:,} items",
            f"{growth:.1f} MB (worst of {len(w5['runs'][OURS])})",
            (growth < 50) if w5["items"] >= 1_000_000 else None,
        )
    w6 = results.get("w6") or {}
    if "import_ours" in w6:
        seconds = w6["import_ours"]["median_seconds"]
        add("W6: import one operation < 0.2 s", f"{seconds:.3f} s", seconds < 0.2)
    if "generate" in w6:
        gen = w6["generate"]
        full = gen["operations"] >= 700
        add(
            f"W6: regenerate {gen['operations']}-op / {gen['schemas']}-schema spec < 60 s",
            f"{gen['seconds']:.1f} s",
            (gen["seconds"] < 60) if full else None,
        )
    return targets


def _label(key: str) -> str:
    cls = COMPETITORS.get(key)
    return cls.label if cls is not None else key


def _case_table(case: dict[str, Any]) -> list[str]:
    rows = _case_rows(case)
    unit = case["unit"]
    wl = case["workload"]
    head = (
        f"| competitor | {unit}: median (min{DASH}max) | vs aiohttp+orjson | client CPU µs/request"
    )
    if wl == "W3":
        head += " | client CPU µs/event | requests (incl. 429)"
    if wl == "W2":
        head += " | parsed into"
    head += " | client CPU | server CPU |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for key in case["samples"]:
        r = rows[key]
        ratio = _ratio(rows, key, BASELINE)
        line = (
            f"| {_label(key)} | {_fmt(r['median'])} ({_fmt(r['min'])}{DASH}{_fmt(r['max'])}) | "
            f"{'-' if ratio is None else f'{ratio:.2f}x'} | {_fmt(r['cpu_us_req'], 1)}"
        )
        if wl == "W3":
            line += f" | {r['cpu_us_op']:.2f} | {r['requests']:,.0f}"
        if wl == "W2":
            cls = COMPETITORS.get(key)
            line += f" | {cls.models if cls else '?'}"
        line += f" | {r['client_cpu'] * 100:.0f}% | {r['server_cpu'] * 100:.0f}% |"
        lines.append(line)
    return lines


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    s = results["settings"]
    out: list[str] = []
    add = out.append
    add("# Benchmarks")
    add("")
    add(
        f"Written by `{results['command']}` on {results['date']} "
        f"(mode **{s['mode']}**, {results['elapsed']:.0f} s). Do not edit by hand: rerun "
        "`make bench` (or `make bench-quick`)."
    )
    add("")
    if s["mode"] != "full":
        add(
            f"> **{s['mode']} mode**: fewer repetitions ({s['reps']}) and smaller workloads "
            "than the full run; for a smoke check, not for quoting."
        )
        add("")
    add("## Machine")
    add("")
    add("| | |")
    add("|---|---|")
    for key in ("cpu", "cores", "python", "platform", "aiohttp", "httpx", "orjson",
                "openapi-python-client", "synerise-async", "code", "event loop", "pinning"):  # fmt: skip
        add(f"| {key} | {m.get(key, '-')} |")
    load = results.get("load") or {}
    if load.get("before"):
        add(
            f"| load average (1/5/15 min) | before {load['before']}, after {load['after']} "
            "(the run itself keeps ~1.5 cores busy: above ~2.5, another process competed) |"
        )
    add("")
    add("## Targets (issue 5)")
    add("")
    add("| target | measured | verdict |")
    add("|---|---|---|")
    for t in results["targets"]:
        add(f"| {t['target']} | {t['measured']} | **{t['verdict']}** |")
    add("")
    add("## How it was measured")
    add("")
    add("Commands (from the repository root):")
    add("")
    add("```")
    for command in results["commands"]:
        add(command)
    add("```")
    add("")
    for line in results["method"]:
        add(f"- {line}")
    add("")
    for note in results.get("notes", []):
        add(f"> {note}")
        add("")
    current = None
    titles = {
        "W1": "W1: small GETs (`GET /uauth/business-profile/current`)",
        "W2": "W2: list workflows through the paginator (`GET /automation-brain/diagrams`)",
        "W3": f"W3: send events (`POST /v4/events/batch`, concurrency {s['w3_concurrency']})",
    }
    for case in results.get("cases", []):
        if case["workload"] != current:
            current = case["workload"]
            add(f"## {titles.get(current, current)}")
            add("")
        add(f"### {case['name']}")
        add("")
        out.extend(_case_table(case))
        add("")
        for note in case.get("notes", []):
            add(f"- {note}")
        if case.get("notes"):
            add("")
    w4 = results.get("w4")
    if w4:
        add(
            f"## W4: token-expiry storm ({w4['calls']:,} concurrent calls, token TTL {w4['ttl']} s)"
        )
        add("")
        add(
            "Logins counted on the server after the first one (so 1 = one login for the expiry "
            "crossed); 401s are requests the server rejected for an expired token."
        )
        add("")
        add("| scenario | client | logins per expiry (each run) | 401s | failed calls | storm s |")
        add("|---|---|---|---|---|---|")
        for scenario, runs_by in w4["runs"].items():
            for contender, runs in runs_by.items():
                add(
                    f"| {w4['scenarios'][scenario]} | {w4['contenders'][contender]} | "
                    f"{', '.join(str(r['logins']) for r in runs)} | "
                    f"{sum(r['unauthorized'] for r in runs)} | {sum(r['errors'] for r in runs)} | "
                    f"{_med([r['seconds'] for r in runs]):.2f} |"
                )
        add("")
    w7 = results.get("w7")
    if w7:
        add(
            f"## W7: per-request cost of the rate limiter and the Redis token cache "
            f"({w7['requests']:,} small GETs, concurrency {w7['concurrency']})"
        )
        add("")
        add(
            "The W1 request through synerise-async with each scale-out option, alternating; "
            "budgets far above the achievable rate, so the limiter is consulted and never "
            "waits. Client CPU only (redis-server's own CPU is another process's)."
        )
        add("")
        add(
            "| configuration | req/s: median | client CPU µs/request | added µs/request | vs no limiter |"
        )
        add("|---|---|---|---|---|")
        per_req = {
            k: _med([r["cpu"] / r["requests"] * 1e6 for r in runs if r["requests"]])
            for k, runs in w7["runs"].items()
        }
        base = per_req.get("none", 0.0)
        for key, runs in w7["runs"].items():
            rate = _med([r["ops"] / r["wall"] for r in runs])
            added = per_req[key] - base
            share = f"{added / base * 100:+.0f}%" if base and key != "none" else "-"
            add(
                f"| {w7['contenders'][key]} | {_fmt(rate)} | {per_req[key]:.1f} | "
                f"{'-' if key == 'none' else f'{added:+.1f}'} | {share} |"
            )
        add("")
        for note in w7.get("notes", []):
            add(f"> {note}")
            add("")
    w5 = results.get("w5")
    if w5:
        add(
            f"## W5: stream {w5['items']:,} items through the paginator "
            f"(cursor listing, page size {w5['limit']})"
        )
        add("")
        add(
            "Each run in a fresh process; growth = peak RSS during the stream minus RSS after "
            f"set-up ({next(iter(w5['runs'].values()))[0]['method']})."
        )
        add("")
        add(
            f"| competitor | peak RSS growth MB: median (min{DASH}max) | RSS at start MB | items/s | parsed into |"
        )
        add("|---|---|---|---|---|")
        for key, runs in w5["runs"].items():
            g = [r["growth_mb"] for r in runs]
            cls = COMPETITORS.get(key)
            add(
                f"| {_label(key)} | {_med(g):.1f} ({min(g):.1f}{DASH}{max(g):.1f}) | "
                f"{_med([r['rss_before_mb'] for r in runs]):.0f} | "
                f"{_fmt(_med([r['items_per_s'] for r in runs]))} | {cls.models if cls else '?'} |"
            )
        add("")
    w6 = results.get("w6") or {}
    if w6:
        add("## W6: import and regeneration")
        add("")
        add(
            "| what | import s (with .pyc, median) | whole process s | modules loaded | "
            "max RSS MB | import s compiled from source |"
        )
        add("|---|---|---|---|---|---|")
        for key, label in (
            ("import_ours", "synerise-async, one operation"),
            ("import_ours_client", "synerise-async, one operation + the client"),
            ("import_stock", "stock openapi-python-client, one operation"),
        ):
            if key in w6:
                r = w6[key]
                add(
                    f"| {label}: `{r['module']}` ({len(r['runs'])} runs) | "
                    f"{r['median_seconds']:.3f} | {r['median_process_wall']:.3f} | {r['modules']:,} | "
                    f"{r['maxrss_mb']:.0f} | {r.get('source_median_seconds', 0):.3f} |"
                )
        add("")
        if "generate" in w6:
            g = w6["generate"]
            add(
                f"Regeneration of a synthetic spec with {g['operations']} operations and "
                f"{g['schemas']} schemas in {g['documents']} documents (`bench/synthspec.py`): "
                f"**{g['seconds']:.1f} s** wall, {g['files']:,} Python files "
                f"(`{g['command']}`)."
            )
            add("")
        if "stock_generate_seconds" in w6:
            add(
                f"Stock client generation from `openapi/build/synerise.json`: "
                f"{w6['stock_generate_seconds']:.1f} s."
            )
            add("")
    analysis = results.get("analysis")
    if analysis:
        add("## Analysis of the misses (hand-written: `bench/ANALYSIS.md`)")
        add("")
        out.append(analysis.rstrip())
        add("")
    extra = results.get("uvloop")
    if extra:
        add("## Optional: uvloop (`speedups` extra), not part of the targets")
        add("")
        for case in extra:
            add(f"### {case['name']} (uvloop)")
            add("")
            out.extend(_case_table(case))
            add("")
    return "\n".join(out).rstrip() + "\n"
