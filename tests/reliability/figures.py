"""Figures the reliability tests record, printed at the end of the pytest run."""

from __future__ import annotations

from typing import Any

FIGURES: dict[str, dict[str, Any]] = {}


def record(name: str, **values: Any) -> None:
    """Keep ``values`` under ``name`` for the terminal summary."""
    FIGURES[name] = values
