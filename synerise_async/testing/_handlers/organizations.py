"""Organization usage statistics computed from what the fake ingested (``organizations.yaml``).

"New data points" are events and transactions stored for the first time on a day (UTC,
by arrival), so a test can send N events and read N back; an overwrite is not new.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any, Final

from .._schema import Problem
from ._base import ApiError, Ctx, handles

MAX_DAYS: Final = 366


def _days(ctx: Ctx) -> list[str]:
    start = dt.date.fromisoformat(ctx.body["from"])
    end = dt.date.fromisoformat(ctx.body["to"])
    if end < start:
        raise ApiError(
            400,
            "to: must not be before from",
            [Problem("to", "must not be before from", ctx.body["to"])],
        )
    if (end - start).days >= MAX_DAYS:
        raise ApiError(
            400,
            f"the range may span at most {MAX_DAYS} days",
            [Problem("to", f"the range may span at most {MAX_DAYS} days", ctx.body["to"])],
        )
    return [(start + dt.timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def _daily_counts(ctx: Ctx) -> dict[str, Counter[str]]:
    daily: dict[str, Counter[str]] = {}
    for store in (ctx.state.events, ctx.state.transactions):
        for day, counts in store.new_per_day().items():
            daily.setdefault(day, Counter()).update(counts)
    return daily


def _split(counts: Counter[str], actions: list[str] | None) -> tuple[dict[str, int], int]:
    if not actions:
        return dict(counts), 0
    listed = {a: counts.get(a, 0) for a in actions}
    return listed, sum(v for k, v in counts.items() if k not in listed)


@handles("generateDailyNewDataPointsStats")
def new_data_points(ctx: Ctx) -> Any:
    days = _days(ctx)
    actions = ctx.body.get("actions")
    daily = _daily_counts(ctx)
    totals: Counter[str] = Counter()
    for day in days:
        totals.update(daily.get(day, Counter()))
    events_total, total_other = _split(totals, actions)
    total_all = sum(events_total.values()) + total_other
    out = []
    for day in days:
        events, other = _split(daily.get(day, Counter()), actions)
        out.append(
            {
                "dailyUsageStatistics": {
                    "day": day,
                    "events": events,
                    "other": other,
                    "total": sum(events.values()) + other,
                },
                "eventsTotal": events_total,
                "totalAll": total_all,
                "totalOther": total_other,
            }
        )
    return out


@handles("generateDailyRetentionDataPointsStats")
def retention_data_points(ctx: Ctx) -> Any:
    days = _days(ctx)
    actions = ctx.body.get("actions")
    daily = _daily_counts(ctx)
    running: Counter[str] = Counter()
    for day in sorted(daily):
        if day < days[0]:
            running.update(daily[day])
    sums: Counter[str] = Counter()
    last: Counter[str] = Counter()
    for day in days:
        running.update(daily.get(day, Counter()))
        sums.update(running)
        last = Counter(running)
    events, other = _split(last, actions)
    averages, other_sum = _split(sums, actions)
    n = len(days)
    return {
        "dailyUsageStatistics": {
            "day": days[-1],
            "events": events,
            "other": other,
            "total": sum(events.values()) + other,
        },
        "eventsAverage": {k: v / n for k, v in averages.items()},
        "averageAll": (sum(averages.values()) + other_sum) / n,
        "averageOther": other_sum / n,
    }


@handles("countApiCalls")
def count_api_calls(ctx: Ctx) -> Any:
    return {"count": ctx.state.stats.requests, "transferSize": ctx.state.bytes_received}


@handles("getBanSettingsUsingGET")
def get_ban_settings(ctx: Ctx) -> Any:
    return dict(ctx.state.ban_settings)


@handles("updateBanSettings")
def update_ban_settings(ctx: Ctx) -> Any:
    ctx.state.ban_settings.update(ctx.body)
    return dict(ctx.state.ban_settings)


@handles("getBusinessProfilesForOrganizationUserUniversalList")
def organization_workspaces(ctx: Ctx) -> Any:
    state = ctx.state
    return {
        "data": [
            {
                "author": state.user_id,
                "name": state.workspace_name,
                "subdomain": state.workspace_subdomain,
                "logo": f"https://upload.snrcdn.net/{state.workspace_subdomain}/logo.png",
                "hash": state.workspace_guid.replace("-", ""),
                "guid": state.workspace_guid,
                "activeUsersCount": 1,
            }
        ]
    }
