"""Resolve ``$ref``s that point outside a document, before documents are merged.

The generator drops remote references with a warning (CODEGEN-NOTES item 5), so:

* ``other.yaml#/components/<section>/<Name>`` is copied into this document's
  ``components/<section>/<Name>`` and the reference rewritten to a local one;
* ``other.yaml#/any/other/pointer`` (or a whole file) is inlined in place;
* ``http(s)://`` references fail: codegen never fetches anything while normalising.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .documents import Document, load_yaml
from .errors import CodegenError
from .spec import iter_refs

__all__ = ["resolve_external_refs"]

_MAX_INLINE_DEPTH = 32


def resolve_external_refs(doc: Document, doc_path: Path) -> list[str]:
    """Make every ``$ref`` of ``doc`` local, in place; return report lines.

    Raises CodegenError listing every reference that cannot be resolved.
    """
    resolver = _Resolver(doc, doc_path)
    resolver.run()
    if resolver.problems:
        raise CodegenError(
            f"{doc_path.name}: {len(resolver.problems)} unresolvable $ref(s):", resolver.problems
        )
    return resolver.report


class _Resolver:
    def __init__(self, doc: Document, doc_path: Path) -> None:
        self.doc = doc
        self.doc_path = doc_path.resolve()
        self.cache: dict[Path, Document] = {}
        self.problems: list[str] = []
        self.report: list[str] = []

    def run(self) -> None:
        # Copied components may themselves hold external refs: repeat until none are left.
        for _ in range(_MAX_INLINE_DEPTH):
            pending = [
                (holder, ref) for holder, ref in iter_refs(self.doc) if not ref.startswith("#")
            ]
            if not pending:
                return
            for holder, ref in pending:
                self._resolve_one(holder, ref)
            if self.problems:
                return
        self.problems.append(
            f"external $refs nested deeper than {_MAX_INLINE_DEPTH} levels (a cycle?)"
        )

    def _resolve_one(self, holder: dict[str, Any], ref: str) -> None:
        if "://" in ref or ref.startswith("//"):
            self.problems.append(
                f"{ref}: remote references are not fetched; vendor the file next to the "
                "document and use a relative reference"
            )
            return
        # Refs inside copied content were rewritten to absolute file paths (see _rebase).
        file_part, _, pointer = ref.partition("#")
        target_path = Path(unquote(file_part))
        if not target_path.is_absolute():
            target_path = (self.doc_path.parent / target_path).resolve()
        if target_path == self.doc_path:
            holder["$ref"] = "#" + pointer
            return
        target_doc = self._load(target_path, ref)
        if target_doc is None:
            return
        try:
            content = _follow_pointer(target_doc, pointer)
        except KeyError:
            self.problems.append(f"{ref}: pointer {pointer!r} not found in {target_path.name}")
            return
        content = _rebase(copy.deepcopy(content), target_path)
        parts = [p for p in pointer.split("/") if p]
        if len(parts) == 3 and parts[0] == "components":
            self._copy_component(holder, ref, parts[1], _unescape(parts[2]), content)
        else:
            holder.clear()
            holder.update(content if isinstance(content, dict) else {"allOf": [content]})
            self.report.append(f"inlined external $ref {ref} in {self.doc_path.name}")

    def _copy_component(
        self, holder: dict[str, Any], ref: str, section: str, name: str, content: Any
    ) -> None:
        existing = self.doc.setdefault("components", {}).setdefault(section, {})
        if name in existing and existing[name] != content:
            self.problems.append(
                f"{ref}: components/{section}/{name} already exists in "
                f"{self.doc_path.name} with different content"
            )
            return
        if name not in existing:
            existing[name] = content
            self.report.append(
                f"copied external $ref {ref} into components/{section}/{name} of {self.doc_path.name}"
            )
        holder["$ref"] = f"#/components/{section}/{name}"

    def _load(self, path: Path, ref: str) -> Document | None:
        if path not in self.cache:
            if not path.is_file():
                self.problems.append(f"{ref}: file {path} does not exist")
                return None
            # A fragment file need not be a full OpenAPI document.
            self.cache[path] = load_yaml(path) or {}
        return self.cache[path]


def _unescape(token: str) -> str:
    return unquote(token).replace("~1", "/").replace("~0", "~")


def _follow_pointer(doc: Any, pointer: str) -> Any:
    node = doc
    for token in (p for p in pointer.split("/") if p):
        key = _unescape(token)
        if isinstance(node, list):
            node = node[int(key)]
        elif isinstance(node, dict):
            node = node[key]
        else:
            raise KeyError(key)
    return node


def _rebase(content: Any, source: Path) -> Any:
    """Make refs inside content copied from ``source`` point back into ``source``."""
    for holder, ref in list(iter_refs(content)):
        file_part, _, pointer = ref.partition("#")
        if "://" in ref:
            continue
        base = source if not file_part else (source.parent / unquote(file_part)).resolve()
        holder["$ref"] = f"{base}#{pointer}"
    return content
