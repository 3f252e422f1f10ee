"""Fixtures for codegen tests (helpers live in codegen_helpers.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

# `python -m codegen` runs from the project root; make `import codegen` work the same way
# whatever directory pytest was started from.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from codegen_helpers import build_mini_package  # noqa: E402

from codegen.documents import Document  # noqa: E402
from codegen.normalise import normalise  # noqa: E402
from codegen.spec import Report  # noqa: E402


@pytest.fixture
def normalise_docs(tmp_path: Path) -> Callable[..., tuple[Document, Report]]:
    """Write documents (and overlays) to a temp dir and normalise them."""

    def run(
        docs: dict[str, Document], overlays: dict[str, Any] | None = None
    ) -> tuple[Document, Report]:
        documents = tmp_path / "documents"
        overlay_dir = tmp_path / "overlays"
        documents.mkdir(exist_ok=True)
        overlay_dir.mkdir(exist_ok=True)
        for name, doc in docs.items():
            (documents / name).write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        for name, overlay in (overlays or {}).items():
            (overlay_dir / name).write_text(
                yaml.safe_dump(overlay, sort_keys=False), encoding="utf-8"
            )
        return normalise(documents, overlay_dir)

    return run


@pytest.fixture(scope="session")
def mini_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini fixture generated once per session; returns the package directory."""
    return build_mini_package(tmp_path_factory.mktemp("mini"))
