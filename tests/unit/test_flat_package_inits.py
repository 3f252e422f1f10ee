"""The generated ``api`` and ``models`` package ``__init__``s stay constant-size at runtime.

Importing any operation or model module runs both ``__init__``s first; the tables that grow
with the spec (``models._index``, ``api._registry``) load only on package-level use.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

import synerise_async.api as api
import synerise_async.models as models
from codegen import generate
from codegen.errors import CodegenError

OPERATION = "synerise_async.api.workspaces.get_current_business_profile_using_get"
TABLES = ("synerise_async.models._index", "synerise_async.api._registry")


def _fresh(code: str) -> object:
    """Run ``code`` in a fresh interpreter; return the JSON it prints last."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_importing_an_operation_module_loads_neither_table() -> None:
    """An operation module (and the model it imports) loads without building either package's table."""
    loaded = _fresh(
        f"""
        import json, sys
        import {OPERATION}
        tables_in_inits = [
            name in vars(sys.modules[package])
            for package, name in (("synerise_async.models", "__all__"), ("synerise_async.api", "REGISTRY"))
        ]
        print(json.dumps(tables_in_inits + sorted(m for m in sys.modules if m.startswith("synerise_async."))))
        """
    )
    assert isinstance(loaded, list)
    assert loaded[:2] == [False, False]  # neither __init__ built its table itself
    assert OPERATION in loaded
    assert "synerise_async.models.current_workspace_response" in loaded
    assert [table for table in TABLES if table in loaded] == []


def test_package_level_names_load_their_table_on_first_use() -> None:
    """``from synerise_async.models import X`` and ``from synerise_async.api import REGISTRY`` load the table then."""
    seen = _fresh(
        """
        import json, sys
        import synerise_async.models as models
        models.__wrapped__ if hasattr(models, "__wrapped__") else None
        before = "synerise_async.models._index" in sys.modules
        from synerise_async.models import WorkflowListItem
        from synerise_async.models.workflow_list_item import WorkflowListItem as Direct
        from synerise_async.api import REGISTRY, OperationEntry, load
        print(json.dumps({
            "probe_loaded_index": before,
            "same_class": WorkflowListItem is Direct,
            "tables": [m in sys.modules for m in (
                "synerise_async.models._index", "synerise_async.api._registry")],
            "entry": isinstance(REGISTRY["getProfile"], OperationEntry),
            "loaded": load("getProfile").__name__,
        }))
        """
    )
    assert seen == {
        "probe_loaded_index": False,
        "same_class": True,
        "tables": [True, True],
        "entry": True,
        "loaded": "synerise_async.api.profiles.get_profile",
    }


def test_models_all_dir_and_star_import_list_every_model() -> None:
    """``models.__all__``, ``dir(models)`` and ``import *`` cover every name of the index."""
    from synerise_async.models import _index

    assert models.__all__ == _index.NAMES
    assert set(_index.NAMES) == set(_index.MODULES)
    assert set(_index.NAMES) <= set(dir(models))
    namespace: dict[str, object] = {}
    exec("from synerise_async.models import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(_index.NAMES)
    for name, module in _index.MODULES.items():
        assert getattr(models, name).__module__ == f"synerise_async.models{module}"
    with pytest.raises(AttributeError, match="WorkflowListItemz"):
        _ = models.WorkflowListItemz


def test_models_stub_re_exports_exactly_the_index() -> None:
    """``models/__init__.pyi`` re-exports every indexed name from its own module, and only those."""
    from synerise_async.models import _index

    stub = Path(models.__file__).with_suffix(".pyi")
    tree = ast.parse(stub.read_text(encoding="utf-8"))
    exported = {
        alias.asname: f".{node.module}"
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname == alias.name
    }
    assert exported == _index.MODULES


def test_api_registry_names_are_re_exported_from_api() -> None:
    """``synerise_async.api`` serves the ``_registry`` objects themselves and lists them in dir()."""
    from synerise_async.api import _registry

    assert api.REGISTRY is _registry.REGISTRY
    assert api.OperationEntry is _registry.OperationEntry
    assert api.load is _registry.load
    assert {"REGISTRY", "OperationEntry", "load", "profiles"} <= set(dir(api))
    with pytest.raises(KeyError, match="noSuchOperation"):
        api.load("noSuchOperation")


def test_codegen_refuses_a_spec_file_that_takes_a_table_name(tmp_path: Path) -> None:
    """A model or tag whose file would be ``_index.py`` / ``_registry.py`` is a CodegenError, not an overwrite."""
    target = tmp_path / "_index.py"
    target.write_text("# a model\n", encoding="utf-8")
    project = SimpleNamespace(env=None, config=SimpleNamespace(file_encoding="utf-8"))
    with pytest.raises(CodegenError, match=r"_index\.py"):
        generate._render_new(project, "models_index.py.jinja", target, {})  # type: ignore[arg-type]
    assert target.read_text(encoding="utf-8") == "# a model\n"


_TYPED = """
from __future__ import annotations

from types import ModuleType
from typing import assert_type

from synerise_async.api import REGISTRY, OperationEntry, load
from synerise_async.models import WorkflowListItem
from synerise_async.models.workflow_list_item import WorkflowListItem as Direct

assert_type(WorkflowListItem, type[Direct])
assert_type(REGISTRY, dict[str, OperationEntry])
assert_type(load("getProfile"), ModuleType)
assert_type(REGISTRY["getProfile"].path, str)
"""


def test_package_level_names_keep_their_static_types(tmp_path: Path) -> None:
    """mypy --strict sees the real types through the lazy packages and rejects an unknown model."""
    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text(_TYPED, encoding="utf-8")
    bad.write_text("from synerise_async.models import WorkflowListItemz\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(good), str(bad)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, result.stdout
    # By file name: mypy's shared incremental cache may print the path of an earlier run's
    # tmp_path for the same module name.
    assert Path(errors[0].split(":", 1)[0]).name == bad.name, result.stdout
    assert 'has no attribute "WorkflowListItemz"' in errors[0]
