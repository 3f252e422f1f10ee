"""Loading spec documents: YAML 1.1 quirks switched off, duplicate keys refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the dev deps

from .errors import CodegenError

__all__ = ["Document", "load_document", "load_documents", "load_yaml", "parse_document_bytes"]

Document = dict[str, Any]


# libyaml's parser when PyYAML has it (its wheels do): ~10x faster on a 730-operation
# spec, where parsing was most of `normalise`. Construction and resolution stay Python.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SpecLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """A SafeLoader that keeps timestamps as strings and rejects duplicate mapping keys.

    PyYAML would turn ``2024-01-01`` in an example into a ``date`` (not JSON-serialisable,
    and not what the server sends) and silently keep the last of two equal keys.
    """


# Drop the implicit timestamp resolver: copy the table so plain SafeLoader is unaffected.
_SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _SpecLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            line = key_node.start_mark.line + 1
            raise CodegenError(f"line {line}: duplicate key {key!r} in a mapping.")
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_SpecLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _parse(data: bytes, name: str) -> Any:
    try:
        return yaml.load(data.decode("utf-8"), Loader=_SpecLoader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CodegenError(f"{name}: not valid YAML/JSON: {exc}") from exc
    except CodegenError as exc:
        raise CodegenError(f"{name}: {exc.summary}") from exc


def load_yaml(path: Path) -> Any:
    """Load any YAML file (a fragment a document refers to, an overlay) strictly."""
    return _parse(path.read_bytes(), str(path))


def _parse_json(data: bytes, name: str) -> Any:
    """JSON straight through the json module (much faster than YAML for a large spec),
    with duplicate keys refused as the YAML loader refuses them."""

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise CodegenError(f"{name}: duplicate key {key!r} in a JSON object.")
            result[key] = value
        return result

    try:
        return json.loads(data, object_pairs_hook=unique)
    except ValueError as exc:
        raise CodegenError(f"{name}: not valid JSON: {exc}") from exc


def parse_document_bytes(data: bytes, name: str) -> Document:
    """Parse one OpenAPI document (JSON, or YAML) and check its shape."""
    loaded = _parse_json(data, name) if data.lstrip()[:1] == b"{" else _parse(data, name)
    if not isinstance(loaded, dict) or "openapi" not in loaded:
        raise CodegenError(f"{name}: not an OpenAPI 3 document (no top-level 'openapi' key).")
    return loaded


def load_document(path: Path) -> Document:
    """Load one document from disk."""
    return parse_document_bytes(path.read_bytes(), str(path))


def load_documents(directory: Path) -> dict[str, Document]:
    """All ``*.yaml``/``*.yml``/``*.json`` documents of a directory, keyed by file name, sorted."""
    files = sorted(
        p for p in directory.iterdir() if p.is_file() and p.suffix in {".yaml", ".yml", ".json"}
    )
    return {path.name: load_document(path) for path in files}
