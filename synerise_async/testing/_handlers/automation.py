"""Workflows (diagrams): listing, state changes and statistics (``automation.yaml``).

State machine: ``Draft``/``Pending``/``Inactive``/``Paused`` -run-> ``Active``;
``Active``/``Pending`` -pause-> ``Paused``; anything -stop-> ``Stopped``; a stopped
workflow cannot run, pause or change its schedule again (400, as the spec documents).
Statistics are derived from the runs the fake has seen.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable
from typing import Any

import attrs

from ._base import ApiError, Ctx, Reply, handles, not_found

STATUSES = ("Draft", "Pending", "Active", "Paused", "Stopped", "Inactive")
_STATUS_WEIGHTS = (3, 1, 6, 2, 1, 2)
BLOCK_TYPES = ("EventTrigger", "EventFilter", "Email", "Delay", "SendEvent", "Webhook", "Sms")
_SORT_KEYS: dict[str, Callable[[Workflow], Any]] = {
    "Author": lambda w: w.data["listingAuthor"]["userId"],
    "Name": lambda w: w.data["name"].lower(),
    "CreatedTime": lambda w: w.data["created"],
    "UpdatedTime": lambda w: w.data["updated"],
    "Status": lambda w: w.data["status"],
}
_SORT_BY_ALIASES = {
    "author": "Author",
    "name": "Name",
    "createdtime": "CreatedTime",
    "created": "CreatedTime",
    "updatedtime": "UpdatedTime",
    "updated": "UpdatedTime",
    "status": "Status",
}


@attrs.define(slots=True, eq=False)
class Workflow:
    """One workflow: its listing shape plus what statistics are computed from."""

    data: dict[str, Any]
    blocks: dict[str, dict[str, Any]]
    directory_id: str
    runs_started: int = 0
    runs_finished: int = 0

    @property
    def id(self) -> str:
        return str(self.data["diagramId"])

    @property
    def status(self) -> str:
        return str(self.data["status"])


class WorkflowStore:
    """The seeded workflows of a fake, by id and in creation order."""

    def __init__(self, count: int, rng: random.Random, *, workspace_id: int, now: float) -> None:
        self.directories = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(3)]
        self._items: dict[str, Workflow] = {}
        self.order: list[Workflow] = []
        for index in range(count):
            workflow = _seed_workflow(index, rng, workspace_id, now, self.directories)
            self._items[workflow.id] = workflow
            self.order.append(workflow)

    def __len__(self) -> int:
        return len(self.order)

    def __iter__(self) -> Any:
        return iter(self.order)

    def get(self, diagram_id: Any) -> Workflow:
        workflow = self._items.get(str(diagram_id).lower())
        if workflow is None:
            raise not_found("Workflow")
        return workflow


def _seed_workflow(
    index: int, rng: random.Random, workspace_id: int, now: float, directories: list[str]
) -> Workflow:
    diagram_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    status = rng.choices(STATUSES, weights=_STATUS_WEIGHTS)[0]
    created = round(now - 86400 * 400 + index * 3600.0 + rng.random(), 3)
    blocks: dict[str, dict[str, Any]] = {}
    for position in range(rng.randint(2, 5)):
        block_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        block_type = "EventTrigger" if position == 0 else rng.choice(BLOCK_TYPES[1:])
        entered = rng.randint(0, 5000)
        blocks[block_id] = {
            "name": f"{block_type} {position + 1}",
            "type": block_type,
            "entered": entered,
            "executed": rng.randint(0, entered),
        }
    started = rng.randint(0, 10_000)
    data = {
        "diagramId": diagram_id,
        "listingAuthor": {
            "userId": rng.randint(1, 40),
            "clientId": 0,
            "clientApiHash": "",
            "businessProfileApiHash": "",
        },
        "name": f"Workflow {index + 1:04d}",
        "created": created,
        "updated": round(created + rng.random() * 86400 * 30, 3),
        "status": status,
        "scheduleStatus": rng.choice(("On", "Off")),
        "configuration": {
            "capping": {
                "limit": rng.randint(0, 5),
                "period": {"type": "Time", "timeSeconds": 86400},
            },
            "multipleJourneys": rng.random() < 0.3,
        },
        "catalogId": directories[index % len(directories)],
        "context": "Client",
        "tags": [
            {
                "hash": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "value": rng.choice(("newsletter", "retention", "onboarding", "sales")),
                "color": "#0b68ff",
                "description": "",
                "icon": "tag",
            }
        ],
        "description": f"Seeded workflow number {index + 1}",
        "hasTransformation": rng.random() < 0.2,
        "businessProfileId": workspace_id,
    }
    return Workflow(
        data=data,
        blocks=blocks,
        directory_id=directories[index % len(directories)],
        runs_started=started,
        runs_finished=rng.randint(0, started),
    )


def _matches_status(workflow: Workflow, wanted: str, now: float) -> bool:
    if wanted == "All":
        return True
    if wanted == "Recent":
        return bool(workflow.data["updated"] >= now - 30 * 86400)
    schedule = workflow.data["scheduleStatus"]
    if wanted in ("Scheduled", "ScheduleOn"):
        return bool(schedule == "On")
    if wanted in ("NoSchedule", "ScheduleOff"):
        return bool(schedule == "Off")
    return workflow.status == wanted


def _sort(items: list[Workflow], query: dict[str, Any]) -> list[Workflow]:
    field, order = query.get("sort", "UpdatedTime"), query.get("order", "Desc")
    clause = query.get("sortBy")
    if clause:
        name, _, direction = str(clause).partition(":")
        field = _SORT_BY_ALIASES.get(name.lower(), "UpdatedTime")
        order = "Asc" if direction.lower() == "asc" else "Desc"
    key = _SORT_KEYS[field]
    # Ties broken by id so that pages never overlap or skip.
    return sorted(items, key=lambda w: (key(w), w.id), reverse=order == "Desc")


@handles("getPaginatedDiagrams", "getPaginatedDiagramsV2")
def list_workflows(ctx: Ctx) -> Any:
    query = ctx.query
    store: WorkflowStore = ctx.state.workflows
    wanted = query.get("status", "All")
    items = [w for w in store if _matches_status(w, wanted, ctx.now)]
    if "search" in query:
        needle = str(query["search"]).lower()
        items = [w for w in items if needle in w.data["name"].lower()]
    if "directoryId" in query:
        items = [w for w in items if w.directory_id == str(query["directoryId"]).lower()]
    if "tags" in query:
        tags = {t.strip() for t in str(query["tags"]).split(",") if t.strip()}
        items = [w for w in items if tags & {t["value"] for t in w.data["tags"]}]
    if "blockTypes" in query:
        needed = {t.strip() for t in str(query["blockTypes"]).split(",") if t.strip()}
        items = [w for w in items if needed <= {b["type"] for b in w.blocks.values()}]
    items = _sort(items, query)
    default_limit = 50 if ctx.op.operation_id.endswith("V2") else 10
    page, limit = int(query.get("page", 1)), int(query.get("limit", default_limit))
    start = (page - 1) * limit
    total = len(items)
    return {
        "data": [w.data for w in items[start : start + limit]] if limit > 0 else [],
        "meta": {
            "limit": limit,
            "page": page,
            "pages": math.ceil(total / limit) if limit > 0 else 0,
            "total": total,
        },
    }


def _workflow(ctx: Ctx) -> Workflow:
    return ctx.state.workflows.get(ctx.path["diagramId"])


def _refuse_if_stopped(workflow: Workflow, action: str) -> None:
    if workflow.status == "Stopped":
        raise ApiError(400, f"Workflow {workflow.id} is stopped and cannot be {action}")


def _apply_schedule_action(ctx: Ctx, workflow: Workflow) -> None:
    action = (
        (ctx.body or {}).get("scheduleAction", "NoAction")
        if isinstance(ctx.body, dict)
        else "NoAction"
    )
    if action in ("On", "Off"):
        workflow.data["scheduleStatus"] = action


def _touch(ctx: Ctx, workflow: Workflow) -> None:
    workflow.data["updated"] = round(ctx.now, 3)


@handles("runWorkflow")
def run_workflow(ctx: Ctx) -> Any:
    workflow = _workflow(ctx)
    _refuse_if_stopped(workflow, "run again")
    if workflow.status != "Active":
        workflow.data["status"] = "Active"
        workflow.runs_started += 1
    _apply_schedule_action(ctx, workflow)
    _touch(ctx, workflow)
    return Reply()


@handles("pauseWorkflow")
def pause_workflow(ctx: Ctx) -> Any:
    workflow = _workflow(ctx)
    _refuse_if_stopped(workflow, "paused")
    if workflow.status in ("Active", "Pending"):
        workflow.data["status"] = "Paused"
    elif workflow.status != "Paused":
        raise ApiError(400, f"Workflow {workflow.id} is {workflow.status} and cannot be paused")
    _apply_schedule_action(ctx, workflow)
    _touch(ctx, workflow)
    return Reply()


@handles("stopWorkflow")
def stop_workflow(ctx: Ctx) -> Any:
    workflow = _workflow(ctx)
    if workflow.status != "Stopped":
        workflow.data["status"] = "Stopped"
        workflow.runs_finished = workflow.runs_started
        _touch(ctx, workflow)
    return Reply()


@handles("enableWorkflowSchedule", "disableWorkflowSchedule")
def change_schedule(ctx: Ctx) -> Any:
    workflow = _workflow(ctx)
    _refuse_if_stopped(workflow, "rescheduled")
    workflow.data["scheduleStatus"] = (
        "On" if ctx.op.operation_id == "enableWorkflowSchedule" else "Off"
    )
    _touch(ctx, workflow)
    return Reply()


def _block_stats(block: dict[str, Any]) -> dict[str, Any]:
    return dict(block)


@handles("getWorkflowStatistics")
def workflow_statistics(ctx: Ctx) -> Any:
    workflow = _workflow(ctx)
    in_progress = (
        workflow.runs_started - workflow.runs_finished if workflow.status == "Active" else 0
    )
    return {
        "started": workflow.runs_started,
        "finished": workflow.runs_started - in_progress,
        "inProgress": in_progress,
        "blocks": {block_id: _block_stats(b) for block_id, b in workflow.blocks.items()},
    }


@handles("getWorkflowBlockStatistics")
def block_statistics(ctx: Ctx) -> Any:
    workflow = _workflow(ctx)
    block = workflow.blocks.get(str(ctx.path["blockId"]).lower())
    if block is None:
        raise not_found("Block")
    return _block_stats(block)


@handles("getWorkflowLastRunWithStages")
def last_run(ctx: Ctx) -> Any:
    workflow = ctx.state.workflows.get(ctx.path["automationWorkflowId"])
    if not workflow.data.get("hasTransformation"):
        raise ApiError(400, "The workflow has no data-processing node")
    limit = int(ctx.query.get("limit", 500))
    stage = {
        "status": "Success",
        "runDate": ctx.state.started_iso,
        "logs": ["INFO Job finished with success!"][:limit],
        "logsSize": 1,
        "successCount": workflow.runs_finished,
        "failureCount": 0,
    }
    return {
        "startTime": round(ctx.state.started_at, 6),
        "runId": str(uuid.uuid5(uuid.NAMESPACE_URL, workflow.id)),
        "pipelineResponse": {"importData": stage, "transformData": stage, "exportData": stage},
        "overallRunStatus": "Success",
    }
