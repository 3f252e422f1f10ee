"""Merge the per-area documents into one document for the generator.

Rules (see openapi/CONVENTIONS.md):

* the ``openapi`` versions must agree;
* a path may appear in several documents only with different methods and identical
  path-level parameters; the same method on the same path twice is a failure;
* a component (schema, parameter, response, ...) with the same name in several documents
  is kept once when identical; the same name with different content is a failure that
  names both documents;
* each document's global ``security`` is copied to its own operations first (the
  generator ignores global security, CODEGEN-NOTES item 10; and it is document-scoped).
"""

from __future__ import annotations

import copy
from typing import Any

from .documents import Document
from .errors import CodegenError
from .spec import HTTP_METHODS, Report, iter_operations

__all__ = ["apply_global_security", "merge_documents"]

MERGED_INFO = {
    "title": "Synerise API",
    "version": "merged",
    "description": "All openapi/documents/*.yaml merged by `python -m codegen normalise`.",
}


def apply_global_security(doc: Document, name: str, report: Report) -> None:
    """Copy the document's global ``security`` onto operations without their own; drop it."""
    security = doc.pop("security", None)
    if security is None:
        return
    count = 0
    for _path, _method, operation in iter_operations(doc):
        if "security" not in operation:
            operation["security"] = copy.deepcopy(security)
            count += 1
    if count:
        report.fixed(f"{name}: copied global security to {count} operation(s) without their own")


def merge_documents(documents: dict[str, Document], report: Report) -> Document:
    """Merge documents (name -> parsed document) into a new document; inputs are not modified."""
    if not documents:
        raise CodegenError("No documents to merge: openapi/documents/ holds no *.yaml files.")
    problems: list[str] = []
    versions = {name: str(doc.get("openapi")) for name, doc in documents.items()}
    if len(set(versions.values())) > 1:
        problems.append(f"documents disagree on the openapi version: {versions}")

    first = next(iter(documents.values()))
    merged: Document = {
        "openapi": first["openapi"],
        "info": dict(MERGED_INFO),
        "servers": copy.deepcopy(first.get("servers", [])),
        "tags": [],
        "paths": {},
        "components": {},
    }
    path_owner: dict[tuple[str, str], str] = {}
    component_owner: dict[tuple[str, str], str] = {}
    tag_names: set[str] = set()
    for name, original in documents.items():
        doc = copy.deepcopy(original)
        apply_global_security(doc, name, report)
        if doc.get("servers", []) != merged["servers"]:
            report.fixed(f"{name}: servers differ from the first document's; kept the first's")
        for tag in doc.get("tags") or []:
            if isinstance(tag, dict) and tag.get("name") not in tag_names:
                tag_names.add(tag["name"])
                merged["tags"].append(tag)
        problems.extend(_merge_paths(merged["paths"], doc.get("paths") or {}, name, path_owner))
        problems.extend(
            _merge_components(
                merged["components"], doc.get("components") or {}, name, component_owner
            )
        )
    if problems:
        raise CodegenError(f"Cannot merge {len(documents)} documents:", problems)
    if not merged["tags"]:
        del merged["tags"]
    return merged


def _merge_paths(
    target: dict[str, Any], paths: dict[str, Any], name: str, owner: dict[tuple[str, str], str]
) -> list[str]:
    problems: list[str] = []
    for path, item in paths.items():
        if path not in target:
            target[path] = item
            for method in HTTP_METHODS:
                if method in item:
                    owner[(path, method)] = name
            continue
        existing = target[path]
        for key, value in item.items():
            if key in HTTP_METHODS:
                if key in existing:
                    problems.append(
                        f"{key.upper()} {path} is defined in both {owner[(path, key)]} and {name}"
                    )
                else:
                    existing[key] = value
                    owner[(path, key)] = name
            elif key in existing and existing[key] != value:
                problems.append(f"path {path}: '{key}' differs between documents (second: {name})")
            else:
                existing[key] = value
    return problems


def _merge_components(
    target: dict[str, Any],
    components: dict[str, Any],
    name: str,
    owner: dict[tuple[str, str], str],
) -> list[str]:
    problems: list[str] = []
    for section, entries in components.items():
        if not isinstance(entries, dict):
            continue
        merged_section = target.setdefault(section, {})
        for entry_name, value in entries.items():
            key = (section, entry_name)
            if entry_name not in merged_section:
                merged_section[entry_name] = value
                owner[key] = name
            elif merged_section[entry_name] != value:
                problems.append(
                    f"components/{section}/{entry_name} differs between {owner[key]} and {name} "
                    f"({_first_difference(merged_section[entry_name], value)})"
                )
    return problems


def _first_difference(left: Any, right: Any, where: str = "") -> str:
    """A short pointer to the first place two values differ, for the failure message."""
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right), key=str):
            if key not in left or key not in right:
                return f"key {where}/{key} only in one"
            if left[key] != right[key]:
                return _first_difference(left[key], right[key], f"{where}/{key}")
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            if a != b:
                return _first_difference(a, b, f"{where}/{index}")
    return f"at {where or '/'}: {_short(left)} vs {_short(right)}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
