"""Apply overlay files (a subset of OpenAPI Overlay 1.0) to the merged document.

An overlay file::

    overlay: 1.0.0
    info: {title: Why these fixes exist, version: 1.0.0}
    actions:
      - target: "$.paths['/v4/things'].get"
        description: The published spec types `limit` as a string.
        update: {x-synerise-pagination: {style: page, items: data}}
      - target: "$.components.schemas.Thing.properties.legacy"
        remove: true

Targets are *simple paths*: ``$`` followed by ``.name`` or ``['name']`` / ``["name"]``
segments and ``[N]`` list indexes; no wildcards or filters. Each target must select
exactly one existing node, so an overlay that no longer matches the spec fails loudly
instead of silently doing nothing.

``update`` on an object merges recursively: objects are merged key by key, any other
value (including lists) replaces the old one. ``update`` on a list appends the value.
``remove: true`` deletes the node from its parent.

Files in ``openapi/overlays/`` are applied in file-name order, actions in order.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from .documents import Document, load_yaml
from .errors import CodegenError
from .spec import Report

__all__ = ["apply_overlay", "apply_overlays", "parse_target"]

_SEGMENT = re.compile(
    r"""\.(?P<name>[A-Za-z0-9_$@-]+)            # .name
      | \[\s*'(?P<single>(?:[^'\\]|\\.)*)'\s*\] # ['name']
      | \[\s*"(?P<double>(?:[^"\\]|\\.)*)"\s*\] # ["name"]
      | \[\s*(?P<index>\d+)\s*\]                # [3]
    """,
    re.VERBOSE,
)

Segment = str | int


def parse_target(target: str) -> list[Segment]:
    """Split a simple path into keys (str) and list indexes (int)."""
    if not target.startswith("$"):
        raise ValueError(f"target {target!r} must start with '$'")
    segments: list[Segment] = []
    position = 1
    while position < len(target):
        match = _SEGMENT.match(target, position)
        if match is None:
            raise ValueError(
                f"target {target!r}: unsupported syntax at {target[position:]!r} "
                "(only .name, ['name'] and [N] segments are supported)"
            )
        if match["index"] is not None:
            segments.append(int(match["index"]))
        else:
            raw = match["name"] or match["single"] or match["double"] or ""
            segments.append(re.sub(r"\\(.)", r"\1", raw))
        position = match.end()
    return segments


def apply_overlays(doc: Document, directory: Path, report: Report) -> None:
    """Apply every ``*.yaml`` overlay of ``directory`` (sorted) to ``doc`` in place."""
    if not directory.is_dir():
        return
    for path in sorted(directory.glob("*.y*ml")):
        apply_overlay(doc, load_yaml(path), path.name, report)


def apply_overlay(doc: Document, overlay: Any, name: str, report: Report) -> None:
    """Apply one parsed overlay; raise CodegenError listing every action that failed."""
    if not isinstance(overlay, dict) or not isinstance(overlay.get("actions"), list):
        raise CodegenError(f"overlay {name}: expected a mapping with an 'actions' list.")
    problems: list[str] = []
    for index, action in enumerate(overlay["actions"]):
        try:
            summary = _apply_action(doc, action)
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            problems.append(f"action {index}: {exc}")
        else:
            report.fixed(f"overlay {name}: {summary}")
    if problems:
        raise CodegenError(f"overlay {name}: {len(problems)} action(s) failed:", problems)


def _apply_action(doc: Document, action: Any) -> str:
    if not isinstance(action, dict) or not isinstance(action.get("target"), str):
        raise ValueError("each action needs a string 'target'")
    target = action["target"]
    segments = parse_target(target)
    remove = action.get("remove", False)
    has_update = "update" in action
    if remove is True and not has_update:
        if not segments:
            raise ValueError("cannot remove the whole document")
        parent = _select(doc, segments[:-1], target)
        _check_exists(parent, segments[-1], target)
        del parent[segments[-1]]
        return f"removed {target}"
    if remove or not has_update:
        raise ValueError(f"{target}: an action needs exactly one of 'update' or 'remove: true'")
    node = _select(doc, segments, target)
    update = copy.deepcopy(action["update"])
    if isinstance(node, list):
        node.append(update)
        return f"appended to {target}"
    if isinstance(node, dict) and isinstance(update, dict):
        _deep_merge(node, update)
        return f"updated {target}"
    raise ValueError(f"{target}: can only update an object (with an object) or a list")


def _select(doc: Any, segments: list[Segment], target: str) -> Any:
    node = doc
    for segment in segments:
        _check_exists(node, segment, target)
        node = node[segment]
    return node


def _check_exists(node: Any, segment: Segment, target: str) -> None:
    if isinstance(segment, int):
        if not isinstance(node, list) or segment >= len(node):
            raise KeyError(f"{target}: no list item [{segment}]")
    elif not isinstance(node, dict) or segment not in node:
        raise KeyError(f"{target}: no key {segment!r} (the overlay no longer matches the spec)")


def _deep_merge(target: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = value
