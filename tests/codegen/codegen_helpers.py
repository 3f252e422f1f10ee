"""Helpers for codegen tests: tiny in-memory specs, the mini package, a subprocess runner."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from codegen import paths
from codegen.documents import Document
from codegen.generate import generate_package
from codegen.normalise import normalise

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini"

_STUB_ERRORS = """
class ConfigurationError(ValueError):
    pass


class ResponseFieldError(Exception):
    def __init__(self, message, *, model, field):
        super().__init__(message)
        self.message = message
        self.model = model
        self.field = field


class UnexpectedStatusError(Exception):
    def __init__(self, operation_id, status, content, *, request_id=None):
        super().__init__(f"{operation_id}: unexpected status {status}")
        self.status = status
        self.request_id = request_id
"""


def make_doc(
    paths_: dict[str, Any] | None = None,
    schemas: dict[str, Any] | None = None,
    **components: Any,
) -> Document:
    """A minimal valid OpenAPI 3.0.3 document; ``components`` adds other sections."""
    doc: Document = {
        "openapi": "3.0.3",
        "info": {"title": "fixture", "version": "1"},
        "paths": copy.deepcopy(paths_ or {}),
        "components": {"schemas": copy.deepcopy(schemas or {})},
    }
    for section, entries in components.items():
        doc["components"][section] = copy.deepcopy(entries)
    return doc


def op(op_id: str | None, tag: str = "Things", **extra: Any) -> dict[str, Any]:
    """An operation returning 204, with optional extra keys."""
    operation: dict[str, Any] = {"tags": [tag], "responses": {"204": {"description": "ok"}}}
    if op_id is not None:
        operation["operationId"] = op_id
    operation.update(copy.deepcopy(extra))
    return operation


def json_response(
    schema: dict[str, Any], code: str = "200", media: str = "application/json"
) -> dict[str, Any]:
    """A responses object with one JSON response."""
    return {code: {"description": "ok", "content": {media: {"schema": schema}}}}


def build_mini_package(root: Path) -> Path:
    """Generate the mini fixture into ``root/synerise_async`` and make it importable.

    The hand-written seam is copied in; ``_errors`` is a stub so the package does not
    depend on the rest of the client being finished.
    """
    doc, _report = normalise(MINI / "documents", MINI / "overlays")
    package = generate_package(doc, root)
    for name in ("__init__.py", "client.py", "errors.py"):
        (package / name).unlink()
    (package / "__init__.py").write_text("", encoding="utf-8")
    shutil.copy(paths.PACKAGE_DIR / "_transport.py", package / "_transport.py")
    (package / "_errors.py").write_text(_STUB_ERRORS, encoding="utf-8")
    return package


def run_python(code: str, package: Path) -> str:
    """Run ``code`` in a fresh interpreter that imports ``package``; return its stdout."""
    env = {**os.environ, "PYTHONPATH": str(package.parent), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        cwd=package.parent,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout
