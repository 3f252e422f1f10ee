"""Which ``x-synerise-*`` keys are SDK knowledge, and how to strip them from documents.

``openapi/documents/`` holds API facts only (what Synerise publishes, or what we wrote in
its place with provenance). What the SDK adds on top — how an operation pages, whether a
POST is safe to repeat, body limits, timestamp units — comes from inference
(``codegen/infer.py``) or from ``openapi/overlays/``. A pulled document therefore never
takes SDK behaviour away, and ``tests/codegen/test_codegen_sdk_knowledge.py`` proves it by
stripping these keys from a copy of the documents and regenerating.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["PROVENANCE_KEYS", "SDK_KEYS", "find_sdk_keys", "strip_sdk_keys"]

SDK_KEYS = frozenset(
    {
        "x-synerise-pagination",
        "x-synerise-retry",
        "x-synerise-max-body-bytes",
        "x-synerise-timestamp",
        "x-synerise-api-version",
        "x-synerise-python-name",
    }
)
"""Keys that change what the SDK does; they never belong in ``openapi/documents/``."""

PROVENANCE_KEYS = frozenset(
    {
        "x-synerise-source",
        "x-synerise-confidence",
        "x-synerise-unconfirmed",
        "x-synerise-unconfirmed-reason",
        "x-synerise-permission",
        "x-synerise-consumers",
    }
)
"""Keys that describe where a fact comes from or who may call it: API facts, they stay."""


def find_sdk_keys(node: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """Yield ``(json pointer of the holder, key)`` for every SDK key below ``node``.

    Examples are data, not spec, and are not searched.
    """
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SDK_KEYS:
                yield pointer, key
            elif key not in ("example", "examples"):
                yield from find_sdk_keys(value, f"{pointer}/{_escape(str(key))}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from find_sdk_keys(item, f"{pointer}/{index}")


def strip_sdk_keys(node: Any) -> int:
    """Remove every SDK key below ``node`` in place; return how many were removed."""
    removed = 0
    if isinstance(node, dict):
        for key in [k for k in node if k in SDK_KEYS]:
            del node[key]
            removed += 1
        for key, value in node.items():
            if key not in ("example", "examples"):
                removed += strip_sdk_keys(value)
    elif isinstance(node, list):
        for item in node:
            removed += strip_sdk_keys(item)
    return removed


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")
