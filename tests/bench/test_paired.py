"""The paired-slices estimator of bench/paired.py: its interval and its per-round ratios."""

from __future__ import annotations

import pytest

from bench.paired import PairedCase, median_interval


def test_median_interval_of_ten_values_is_the_second_to_ninth() -> None:
    """For n = 10 the 95% interval of the median is (x2, x9), the textbook order statistics."""
    assert median_interval([float(v) for v in range(10, 0, -1)]) == (2.0, 9.0)


def test_median_interval_too_few_values_is_the_whole_range() -> None:
    """Five values cannot give 95% from inner order statistics: the range is returned."""
    assert median_interval([3.0, 1.0, 2.0, 5.0, 4.0]) == (1.0, 5.0)


def test_median_interval_of_nothing_is_an_error() -> None:
    """An empty sample has no median to bound."""
    with pytest.raises(ValueError, match="no values"):
        median_interval([])


def test_ratios_pair_each_round_with_the_baseline_of_that_round() -> None:
    """CPU ratios divide round by round; throughput ratios invert the wall times."""
    case = PairedCase(
        "W1",
        "small GETs, concurrency 16",
        "request",
        {"rounds": 2},
        cpu_us={"aiohttp-orjson": [100.0, 200.0], "synerise-async": [110.0, 200.0]},
        wall_us={"aiohttp-orjson": [50.0, 80.0], "synerise-async": [100.0, 80.0]},
    )
    assert case.baseline == "aiohttp-orjson"
    assert case.cpu_ratios("synerise-async") == [pytest.approx(1.1), 1.0]
    assert case.rate_ratios("synerise-async") == [0.5, 1.0]
    summary = case.to_dict()["summary"]
    assert set(summary) == {"synerise-async"}
    assert summary["synerise-async"]["cpu"] == {"median": pytest.approx(1.05), "low": 1.0,
                                                "high": pytest.approx(1.1)}  # fmt: skip
