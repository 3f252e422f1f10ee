"""The synthetic spec (bench/synthspec.py) carries what published specs carry, and survives."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from codegen_helpers import run_python

from bench.synthspec import FEATURES, build_documents, write_documents
from codegen import paths
from codegen.generate import generate_package
from codegen.normalise import normalise

# Small enough for the test suite, with the whole features document in it.
OPERATIONS, SCHEMAS, TAGS = 60, 90, 3


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            yield current
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def _operations(docs: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for doc in docs.values():
        for path, item in doc["paths"].items():
            for method, operation in item.items():
                yield path, method, operation


def _enum_kinds(node: dict[str, Any]) -> set[str]:
    return {type(v).__name__ for v in node.get("enum") or [] if v is not None}


def _differs_per_method(docs: dict[str, Any]) -> bool:
    for doc in docs.values():
        for path, item in doc["paths"].items():
            names = {
                p["name"]
                for op in item.values()
                for p in op.get("parameters") or []
                if p.get("in") == "path"
            }
            if len(names) > path.count("{"):
                return True
    return False


def _schema_in_two_documents(docs: dict[str, Any]) -> bool:
    seen: dict[str, int] = {}
    for doc in docs.values():
        for name in doc["components"]["schemas"]:
            seen[name] = seen.get(name, 0) + 1
    return any(count > 1 and name != "ErrorResponse" for name, count in seen.items())


def _media(docs: dict[str, Any]) -> set[str]:
    return {
        media
        for _p, _m, op in _operations(docs)
        for response in op["responses"].values()
        for media in response.get("content") or {}
    }


CHECKS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "allOf": lambda d: any("allOf" in n for n in _walk(d)),
    "oneOf": lambda d: any("oneOf" in n and "discriminator" not in n for n in _walk(d)),
    "oneOf+discriminator": lambda d: any("oneOf" in n and "discriminator" in n for n in _walk(d)),
    "anyOf": lambda d: any("anyOf" in n and "discriminator" not in n for n in _walk(d)),
    "anyOf+discriminator": lambda d: any("anyOf" in n and "discriminator" in n for n in _walk(d)),
    "nullable": lambda d: any(n.get("nullable") is True for n in _walk(d)),
    "integer enum": lambda d: any(
        n.get("type") == "integer" and _enum_kinds(n) == {"int"} for n in _walk(d)
    ),
    "number enum": lambda d: any(
        n.get("type") == "number" and "float" in _enum_kinds(n) for n in _walk(d)
    ),
    "mixed enum": lambda d: any(_enum_kinds(n) == {"int", "str"} for n in _walk(d)),
    "free-form object": lambda d: any(
        n.get("type") == "object" and not n.get("properties") and "additionalProperties" not in n
        for n in _walk(d)
    ),
    "map object": lambda d: any(isinstance(n.get("additionalProperties"), dict) for n in _walk(d)),
    "same schema in two documents": _schema_in_two_documents,
    "no operationId": lambda d: any("operationId" not in op for _p, _m, op in _operations(d)),
    "odd operationId": lambda d: any(
        not str(op.get("operationId", "a")).replace("_", "").isalnum()
        for _p, _m, op in _operations(d)
    ),
    "path parameter named differently per method": _differs_per_method,
    "text/csv response": lambda d: "text/csv" in _media(d),
    "octet-stream response": lambda d: "application/octet-stream" in _media(d),
    "204": lambda d: any("204" in op["responses"] for _p, _m, op in _operations(d)),
    "exploded array query parameter": lambda d: any(
        n.get("in") == "query" and n.get("explode") is True and n["schema"].get("type") == "array"
        for n in _walk(d)
    ),
}


def test_the_synthetic_spec_carries_every_listed_feature() -> None:
    """Each construct in synthspec.FEATURES really occurs in the documents (and none is unchecked)."""
    docs = build_documents(OPERATIONS, SCHEMAS, TAGS)
    assert set(CHECKS) == set(FEATURES)
    assert [name for name in FEATURES if not CHECKS[name](docs)] == []
    assert sum(1 for _ in _operations(docs)) == OPERATIONS
    full = build_documents()
    assert sum(1 for _ in _operations(full)) == 730
    assert len({n for doc in full.values() for n in doc["components"]["schemas"]}) >= 990


def test_synthetic_spec_regenerates_into_importable_code_that_passes_mypy_strict(
    tmp_path: Path,
) -> None:
    """The synthetic spec normalises (reporting the decisions), generates, imports and type-checks strictly."""
    write_documents(tmp_path / "documents", OPERATIONS, SCHEMAS, TAGS)
    (tmp_path / "overlays").mkdir()
    doc, report = normalise(tmp_path / "documents", tmp_path / "overlays")
    decisions = [line for line in report.lines if line.startswith("NEEDS A DECISION")]
    assert len(decisions) == 2 and all("/features/anonymous/{itemId}" in d for d in decisions)
    assert any("respelled 'post2faVerifyBeta'" in line for line in report.lines)
    (tmp_path / "out").mkdir()
    generated = generate_package(doc, tmp_path / "out")

    # The hand-written package with the generated parts swapped in, as `make generate` does.
    root = tmp_path / "checked"
    package = root / paths.PACKAGE_NAME
    shutil.copytree(
        paths.PACKAGE_DIR,
        package,
        ignore=shutil.ignore_patterns("__pycache__", *paths.GENERATED_PARTS),
    )
    for part in paths.GENERATED_PARTS:
        source = generated / part
        if source.is_dir():
            shutil.copytree(source, package / part)
        else:
            shutil.copy2(source, package / part)

    out = run_python(
        """
        import importlib, json, pkgutil
        import synerise_async.api as api, synerise_async.models as models
        import synerise_async.types
        names = [m.name for pkg in (api, models)
                 for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + ".")]
        for name in names:
            importlib.import_module(name)
        from synerise_async.models import FeatureEverything, FeatureDog, FeatureFish
        value = FeatureEverything.from_dict({
            "id": "1", "priority": 2, "seen": None, "mixed": "auto", "weight": 2.5,
            "pet": {"kind": "dog", "goodBoy": True},
            "extended": {"id": "e", "label": "x"},
            "labels": {"a": "b"},
        })
        assert isinstance(value.pet, FeatureDog), value.pet
        fish = FeatureEverything.from_dict({"id": "2", "priority": 1, "pet": {"kind": "fish", "id": "f"}})
        assert isinstance(fish.pet, FeatureFish), fish.pet
        # A oneOf body of models takes any of them or a dict; anything else is a typed error.
        from synerise_async import ConfigurationError
        from synerise_async.api import load
        from synerise_async.models import FeatureCat
        add_pet = load("addFeaturePet")._get_kwargs
        assert add_pet(body={"kind": "cat", "lives": 9}).json == {"kind": "cat", "lives": 9}
        assert add_pet(body=FeatureCat.from_dict({"kind": "cat"})).json == {"kind": "cat"}
        try:
            add_pet(body=42)
        except ConfigurationError as exc:
            assert "FeatureCat or FeatureDog or FeatureFish or a dict" in str(exc), exc
        else:
            raise AssertionError("an int body was accepted")
        print(json.dumps({"modules": len(names), "round_trip": value.to_dict()["pet"]}))
        """,
        package,
    )
    result = json.loads(out.strip().splitlines()[-1])
    assert result["modules"] > OPERATIONS
    assert result["round_trip"] == {"kind": "dog", "goodBoy": True}

    (root / "mypy.ini").write_text("[mypy]\nstrict = True\npython_version = 3.11\n", "utf-8")
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(root / "mypy.ini"),
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            "--follow-imports=silent",
            *(f"{paths.PACKAGE_NAME}/{part}" for part in paths.GENERATED_PARTS),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout[-4000:]
    assert "Success: no issues found" in checked.stdout


def test_synthetic_documents_are_valid_openapi_but_for_the_deliberate_defect(
    tmp_path: Path,
) -> None:
    """Area documents validate; the features document's only error is the path parameter it misnames on purpose."""
    from openapi_spec_validator import OpenAPIV30SpecValidator

    write_documents(tmp_path, OPERATIONS, SCHEMAS, TAGS)

    def errors(name: str) -> list[str]:
        spec = yaml.safe_load((tmp_path / name).read_text(encoding="utf-8"))
        return [str(e).splitlines()[0] for e in OpenAPIV30SpecValidator(spec).iter_errors()]

    assert errors("area00.yaml") == []
    assert sorted(errors("features.yaml")) == [
        f"Path parameter '{name}' for 'put' operation in '/features/items/{{itemId}}' was not resolved"
        for name in ("id", "itemId")
    ]
