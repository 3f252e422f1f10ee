"""``python -m codegen diff OLD NEW``: what changed for SDK users between two specs.

Inputs (see :func:`load_spec`): a normalised spec (``synerise_async/api/openapi.json``,
``openapi/build/synerise.json``) or any OpenAPI document in JSON or YAML; a documents
directory (normalised here with the ``overlays/`` directory next to it, if any); or
either of those at a git revision, ``REV:path``.

What is compared, and what counts as **breaking** (code written against OLD may fail
with NEW; flagged so, never guessed away):

* operations, matched by operationId first, then by method + path with the parameter
  names blanked (``/a/{id}`` = ``/a/{aId}``): removed (breaking), added, operationId
  renamed on the same method and path (breaking: the function's name changes), moved to
  another method or path (not breaking: callers use the function), now deprecated;
* parameters, keyed by location and name: removed (breaking), added (breaking when
  required), renamed (breaking: the keyword changes), retyped (breaking), optional ->
  required (breaking), required -> optional, enum values removed (breaking) or added.
  A rename is a removed and an added parameter in the same location that are the same
  placeholder position in the path template (path parameters), or the only pair left in
  their location with the same type, or the pair at the same position among that
  location's parameters with the same type (query, header, cookie);
* request bodies, as a flat list of fields (``items[].price``): body added when required
  or made required (breaking), removed, content types dropped (breaking); fields removed
  (breaking), added required (breaking), made required (breaking), retyped (breaking);
* success responses (2xx): status or content type removed (breaking); fields removed
  (breaking), retyped (breaking), required -> optional (breaking: may now be missing),
  added;
* component schemas (the generated model classes): removed (breaking), added.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from . import paths
from .documents import Document, parse_document_bytes
from .errors import CodegenError
from .spec import iter_operations

__all__ = [
    "Change",
    "OperationRef",
    "SpecDiff",
    "diff_specs",
    "load_spec",
    "render_markdown",
    "render_summary",
]

_MAX_DEPTH = 8
_WHOLE = "(whole)"
"""The field key of the body or response schema itself."""
_PARAM = re.compile(r"\{[^}]*\}")


# --- results -----------------------------------------------------------------------


@attrs.frozen
class Change:
    """One user-visible change to an operation."""

    text: str
    breaking: bool = False


@attrs.frozen
class OperationRef:
    """How an operation is named in the report."""

    operation_id: str | None
    method: str
    path: str

    def label(self) -> str:
        """``getThing`` (GET /things/{id})``, or just the method and path."""
        where = f"{self.method.upper()} {self.path}"
        return f"`{self.operation_id}` ({where})" if self.operation_id else f"`{where}`"


@attrs.frozen
class SpecDiff:
    """Everything that changed between two specs."""

    added: list[OperationRef]
    removed: list[OperationRef]
    changed: list[tuple[OperationRef, list[Change]]]
    models_added: list[str]
    models_removed: list[str]
    old_count: int
    new_count: int

    @property
    def breaking(self) -> list[tuple[str, str]]:
        """(where, what) of every breaking change."""
        found = [(op.label(), "operation removed") for op in self.removed]
        for op, changes in self.changed:
            found.extend((op.label(), c.text) for c in changes if c.breaking)
        found.extend((f"model `{name}`", "removed") for name in self.models_removed)
        return found

    @property
    def empty(self) -> bool:
        """True when nothing user-visible changed."""
        return not (
            self.added or self.removed or self.changed or self.models_added or self.models_removed
        )


# --- loading -------------------------------------------------------------------------


def load_spec(argument: str) -> tuple[Document, str]:
    """The spec named by ``argument`` and a label for it (see the module docstring)."""
    path = Path(argument)
    if path.exists():
        return _load_path(path), argument
    rev, sep, inner = argument.partition(":")
    if sep and rev and inner:
        return _load_revision(rev, inner), argument
    raise CodegenError(f"{argument}: no such file or directory (nor a REV:path of git).")


def _load_path(path: Path) -> Document:
    if path.is_dir():
        from .normalise import normalise

        overlays = path.parent / "overlays"
        doc, _report = normalise(path, overlays)
        return doc
    data = path.read_bytes()
    return parse_document_bytes(data, str(path))


def _git(*args: str) -> bytes:
    result = subprocess.run(["git", *args], cwd=paths.ROOT, capture_output=True, check=False)
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CodegenError(f"git {' '.join(args)} failed: {message[-1] if message else '?'}")
    return result.stdout


def _load_revision(rev: str, inner: str) -> Document:
    kind = _git("cat-file", "-t", f"{rev}:{inner}").decode().strip()
    if kind == "blob":
        return parse_document_bytes(_git("show", f"{rev}:{inner}"), f"{rev}:{inner}")
    # A directory of documents: unpack it (and the overlays beside it) and normalise.
    overlays = str(Path(inner).parent / "overlays")
    wanted = [inner]
    if _git("ls-tree", "--name-only", rev, overlays).strip():
        wanted.append(overlays)
    archive = _git("archive", "--format=tar", rev, "--", *wanted)
    with tempfile.TemporaryDirectory(prefix="codegen-diff-") as scratch:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            # git wrote this archive; the "data" filter (3.11.4+) refuses odd members anyway.
            if hasattr(tarfile, "data_filter"):
                tar.extractall(scratch, filter="data")
            else:  # pragma: no cover - Python 3.11.0-3.11.3
                tar.extractall(scratch)
        return _load_path(Path(scratch) / inner)


# --- the comparison -----------------------------------------------------------------


@attrs.frozen
class _Field:
    required: bool
    signature: str
    enum: tuple[str, ...] | None


@attrs.frozen
class _Param:
    location: str
    name: str
    required: bool
    signature: str
    enum: tuple[str, ...] | None
    position: int
    """Placeholder index in the path template (path) or index among the location's parameters."""


def diff_specs(old: Document, new: Document) -> SpecDiff:
    """Compare two specs (see the module docstring for what counts as breaking)."""
    old_ops = _operations(old)
    new_ops = _operations(new)
    pairs: list[tuple[str, str]] = []
    old_left, new_left = dict(old_ops), dict(new_ops)
    by_id_new = {
        op["ref"].operation_id: key for key, op in new_ops.items() if op["ref"].operation_id
    }
    for key, op in old_ops.items():
        op_id = op["ref"].operation_id
        if op_id and op_id in by_id_new and by_id_new[op_id] in new_left:
            pairs.append((key, by_id_new[op_id]))
            del old_left[key], new_left[by_id_new[op_id]]
    by_shape_new = {_shape(op["ref"]): key for key, op in new_left.items()}
    for key, op in list(old_left.items()):
        match = by_shape_new.get(_shape(op["ref"]))
        if match is not None and match in new_left:
            pairs.append((key, match))
            del old_left[key], new_left[match]
    changed = []
    for old_key, new_key in sorted(pairs, key=lambda pair: _sort_key(new_ops[pair[1]]["ref"])):
        changes = _compare_operation(old, new, old_ops[old_key], new_ops[new_key])
        if changes:
            changed.append((new_ops[new_key]["ref"], changes))
    old_models = set((old.get("components") or {}).get("schemas") or {})
    new_models = set((new.get("components") or {}).get("schemas") or {})
    return SpecDiff(
        added=sorted((op["ref"] for op in new_left.values()), key=_sort_key),
        removed=sorted((op["ref"] for op in old_left.values()), key=_sort_key),
        changed=changed,
        models_added=sorted(new_models - old_models),
        models_removed=sorted(old_models - new_models),
        old_count=len(old_ops),
        new_count=len(new_ops),
    )


def _sort_key(ref: OperationRef) -> tuple[str, str, str]:
    return (ref.path, ref.method, ref.operation_id or "")


def _shape(ref: OperationRef) -> tuple[str, str]:
    return ref.method, _PARAM.sub("{}", ref.path)


def _operations(doc: Document) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path, method, operation in iter_operations(doc):
        op_id = operation.get("operationId")
        ref = OperationRef(op_id if isinstance(op_id, str) and op_id else None, method, path)
        item = (doc.get("paths") or {}).get(path) or {}
        params = [*(item.get("parameters") or []), *(operation.get("parameters") or [])]
        found[f"{method} {path}"] = {"ref": ref, "operation": operation, "parameters": params}
    return found


def _compare_operation(
    old_doc: Document, new_doc: Document, old: dict[str, Any], new: dict[str, Any]
) -> list[Change]:
    changes: list[Change] = []
    old_ref, new_ref = old["ref"], new["ref"]
    if old_ref.operation_id != new_ref.operation_id:
        changes.append(
            Change(
                f"operationId renamed `{old_ref.operation_id}` -> `{new_ref.operation_id}` "
                "(the function is renamed)",
                breaking=bool(old_ref.operation_id),
            )
        )
    if (old_ref.method, old_ref.path) != (new_ref.method, new_ref.path):
        changes.append(
            Change(f"moved from {old_ref.method.upper()} {old_ref.path} (same function name)")
        )
    if new["operation"].get("deprecated") and not old["operation"].get("deprecated"):
        changes.append(Change("now deprecated"))
    changes += _compare_parameters(
        _parameters(old_doc, old["parameters"], old_ref.path),
        _parameters(new_doc, new["parameters"], new_ref.path),
    )
    changes += _compare_body(old_doc, new_doc, old["operation"], new["operation"])
    changes += _compare_responses(old_doc, new_doc, old["operation"], new["operation"])
    return changes


# --- parameters -----------------------------------------------------------------------


def _parameters(doc: Document, raw: list[Any], path: str) -> dict[tuple[str, str], _Param]:
    placeholders = [m.group(0)[1:-1] for m in _PARAM.finditer(path)]
    found: dict[tuple[str, str], _Param] = {}
    counters: dict[str, int] = {}
    for entry in raw:
        param = _deref(doc, entry)
        location, name = str(param.get("in", "")), str(param.get("name", ""))
        if not name:
            continue
        schema = _deref(doc, param.get("schema") or {})
        if location == "path":
            position = placeholders.index(name) if name in placeholders else len(placeholders)
        else:
            position = counters.get(location, 0)
            counters[location] = position + 1
        # Path-level parameters come first; an operation-level one of the same key wins.
        found[(location, name)] = _Param(
            location=location,
            name=name,
            required=bool(param.get("required")) or location == "path",
            signature=_signature(doc, param.get("schema") or {}),
            enum=_enum(schema),
            position=position,
        )
    return found


def _compare_parameters(
    old: dict[tuple[str, str], _Param], new: dict[tuple[str, str], _Param]
) -> list[Change]:
    changes: list[Change] = []
    removed = [old[k] for k in old if k not in new]
    added = [new[k] for k in new if k not in old]
    for before, after in _renames(removed, added):
        removed.remove(before)
        added.remove(after)
        changes.append(
            Change(f"{before.location} parameter `{before.name}` renamed `{after.name}`", True)
        )
        changes += _compare_param(before, after, f"{after.location} parameter `{after.name}`")
    for param in removed:
        changes.append(Change(f"{param.location} parameter `{param.name}` removed", True))
    for param in added:
        state = "required" if param.required else "optional"
        changes.append(
            Change(
                f"{param.location} parameter `{param.name}` added ({state}, {param.signature})",
                param.required,
            )
        )
    for key in old.keys() & new.keys():
        changes += _compare_param(old[key], new[key], f"{key[0]} parameter `{key[1]}`")
    return sorted(changes, key=lambda c: (not c.breaking, c.text))


def _renames(removed: list[_Param], added: list[_Param]) -> Iterator[tuple[_Param, _Param]]:
    taken: set[int] = set()
    for location in sorted({p.location for p in removed}):
        gone = [p for p in removed if p.location == location]
        came = [p for p in added if p.location == location]
        if location == "path":
            for before in gone:
                for after in came:
                    if id(after) not in taken and after.position == before.position:
                        taken.add(id(after))
                        yield before, after
                        break
            continue
        if len(gone) == 1 and len(came) == 1 and gone[0].signature == came[0].signature:
            taken.add(id(came[0]))
            yield gone[0], came[0]
            continue
        for before in gone:
            for after in came:
                if (
                    id(after) not in taken
                    and after.position == before.position
                    and after.signature == before.signature
                ):
                    taken.add(id(after))
                    yield before, after
                    break


def _compare_param(before: _Param, after: _Param, what: str) -> list[Change]:
    changes: list[Change] = []
    if before.signature != after.signature:
        changes.append(Change(f"{what} retyped {before.signature} -> {after.signature}", True))
    if after.required and not before.required:
        changes.append(Change(f"{what} now required", True))
    elif before.required and not after.required:
        changes.append(Change(f"{what} now optional"))
    changes += _compare_enum(before.enum, after.enum, what, removal_breaks=True)
    return changes


def _compare_enum(
    before: tuple[str, ...] | None,
    after: tuple[str, ...] | None,
    what: str,
    *,
    removal_breaks: bool,
) -> list[Change]:
    if before is None or after is None:
        return []
    changes = []
    gone = [v for v in before if v not in after]
    came = [v for v in after if v not in before]
    if gone:
        changes.append(Change(f"{what} enum values removed: {', '.join(gone)}", removal_breaks))
    if came:
        changes.append(Change(f"{what} enum values added: {', '.join(came)}"))
    return changes


# --- bodies and responses ------------------------------------------------------------


def _media(doc: Document, holder: Any) -> dict[str, Any]:
    content = _deref(doc, holder).get("content")
    return content if isinstance(content, dict) else {}


def _compare_body(
    old_doc: Document, new_doc: Document, old: dict[str, Any], new: dict[str, Any]
) -> list[Change]:
    before, after = old.get("requestBody"), new.get("requestBody")
    if before is None and after is None:
        return []
    if before is None:
        required = bool(_deref(new_doc, after).get("required"))
        return [Change(f"request body added ({'required' if required else 'optional'})", required)]
    if after is None:
        return [Change("request body removed", True)]
    changes: list[Change] = []
    if _deref(new_doc, after).get("required") and not _deref(old_doc, before).get("required"):
        changes.append(Change("request body now required", True))
    old_media, new_media = _media(old_doc, before), _media(new_doc, after)
    for media in sorted(old_media.keys() - new_media.keys()):
        changes.append(Change(f"request body content type `{media}` removed", True))
    for media in sorted(new_media.keys() - old_media.keys()):
        changes.append(Change(f"request body content type `{media}` added"))
    for media in sorted(old_media.keys() & new_media.keys()):
        changes += _compare_fields(
            _schema_fields(old_doc, (old_media[media] or {}).get("schema")),
            _schema_fields(new_doc, (new_media[media] or {}).get("schema")),
            "request body",
            request=True,
        )
    return changes


def _compare_responses(
    old_doc: Document, new_doc: Document, old: dict[str, Any], new: dict[str, Any]
) -> list[Change]:
    def success(op: dict[str, Any]) -> dict[str, Any]:
        return {str(k): v for k, v in (op.get("responses") or {}).items() if str(k).startswith("2")}

    before, after = success(old), success(new)
    changes: list[Change] = []
    for code in sorted(before.keys() - after.keys()):
        changes.append(Change(f"response {code} removed", True))
    for code in sorted(after.keys() - before.keys()):
        changes.append(Change(f"response {code} added"))
    for code in sorted(before.keys() & after.keys()):
        old_media, new_media = _media(old_doc, before[code]), _media(new_doc, after[code])
        for media in sorted(old_media.keys() - new_media.keys()):
            changes.append(Change(f"response {code} content type `{media}` removed", True))
        for media in sorted(new_media.keys() - old_media.keys()):
            changes.append(Change(f"response {code} content type `{media}` added"))
        for media in sorted(old_media.keys() & new_media.keys()):
            changes += _compare_fields(
                _schema_fields(old_doc, (old_media[media] or {}).get("schema")),
                _schema_fields(new_doc, (new_media[media] or {}).get("schema")),
                f"response {code}",
                request=False,
            )
    return changes


def _compare_fields(
    old: dict[str, _Field], new: dict[str, _Field], where: str, *, request: bool
) -> list[Change]:
    changes: list[Change] = []
    for name in sorted(old.keys() - new.keys()):
        if not _under_removed(name, old.keys() - new.keys()):
            changes.append(Change(f"{_what(where, name)} removed", True))
    for name in sorted(new.keys() - old.keys()):
        if _under_removed(name, new.keys() - old.keys()):
            continue
        field = new[name]
        state = "required" if field.required else "optional"
        changes.append(Change(f"{_what(where, name)} added ({state})", request and field.required))
    for name in sorted(old.keys() & new.keys()):
        before, after = old[name], new[name]
        what = _what(where, name)
        if before.signature != after.signature:
            changes.append(Change(f"{what} retyped {before.signature} -> {after.signature}", True))
        if after.required and not before.required:
            changes.append(Change(f"{what} now required", request))
        elif before.required and not after.required:
            changes.append(Change(f"{what} now optional (may be missing)", not request))
        # New enum values in a response break exhaustive matches; removed ones break senders.
        changes += _compare_enum(before.enum, after.enum, what, removal_breaks=request)
    return changes


def _what(where: str, name: str) -> str:
    return f"{where} schema" if name == _WHOLE else f"{where} field `{name}`"


def _under_removed(name: str, names: set[str]) -> bool:
    """True when a parent of ``name`` is in ``names`` (report the parent only)."""
    return any(name.startswith(other + ".") or name.startswith(other + "[]") for other in names)


def _schema_fields(doc: Document, schema: Any) -> dict[str, _Field]:
    fields: dict[str, _Field] = {}
    if isinstance(schema, dict):
        fields[""] = _Field(True, _signature(doc, schema), None)
        _collect_fields(doc, schema, "", fields, (), 0)
    if "" in fields:
        fields[_WHOLE] = fields.pop("")
    return fields


def _collect_fields(
    doc: Document,
    schema: Any,
    prefix: str,
    fields: dict[str, _Field],
    stack: tuple[str, ...],
    depth: int,
) -> None:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if isinstance(ref, str):
        if ref in stack or depth > _MAX_DEPTH:
            return
        stack = (*stack, ref)
    resolved = _deref(doc, schema)
    if resolved.get("type") == "array" or "items" in resolved:
        _collect_fields(doc, resolved.get("items") or {}, prefix + "[]", fields, stack, depth + 1)
        return
    required = set(resolved.get("required") or [])
    for part in resolved.get("allOf") or []:
        required |= set(_deref(doc, part).get("required") or [])
        _collect_fields(doc, part, prefix, fields, stack, depth + 1)
    for key in ("oneOf", "anyOf"):
        for variant in resolved.get(key) or []:
            sub: dict[str, _Field] = {}
            _collect_fields(doc, variant, prefix, sub, stack, depth + 1)
            for name, field in sub.items():
                # A field of one variant may be absent from the union as a whole.
                fields.setdefault(name, attrs.evolve(field, required=False))
    for name, prop in (resolved.get("properties") or {}).items():
        key = f"{prefix}.{name}" if prefix else name
        schema_of = _deref(doc, prop)
        fields[key] = _Field(name in required, _signature(doc, prop), _enum(schema_of))
        _collect_fields(doc, prop, key, fields, stack, depth + 1)


def _signature(doc: Document, schema: Any, depth: int = 0) -> str:
    """A short type description; two schemas with the same signature generate the same type."""
    if not isinstance(schema, dict):
        return "any"
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[-1]
    if depth > _MAX_DEPTH:
        return "..."
    text: str
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list):
            text = f"{key}<{' | '.join(_signature(doc, s, depth + 1) for s in schema[key])}>"
            break
    else:
        if isinstance(schema.get("allOf"), list) and len(schema["allOf"]) == 1:
            text = _signature(doc, schema["allOf"][0], depth + 1)
        elif isinstance(schema.get("allOf"), list):
            text = f"allOf<{' & '.join(_signature(doc, s, depth + 1) for s in schema['allOf'])}>"
        else:
            kind = schema.get("type")
            if kind == "array":
                text = f"array<{_signature(doc, schema.get('items') or {}, depth + 1)}>"
            elif kind == "object" or (kind is None and "properties" in schema):
                extra = schema.get("additionalProperties")
                text = (
                    f"map<{_signature(doc, extra, depth + 1)}>"
                    if isinstance(extra, dict) and not schema.get("properties")
                    else "object"
                )
            else:
                text = str(kind) if kind else ("enum" if "enum" in schema else "any")
                if schema.get("format"):
                    text += f"({schema['format']})"
    if schema.get("nullable") is True:
        text += " | null"
    return text


def _enum(schema: dict[str, Any]) -> tuple[str, ...] | None:
    values = schema.get("enum")
    return tuple(json.dumps(v) for v in values) if isinstance(values, list) else None


def _deref(doc: Document, node: Any) -> dict[str, Any]:
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 20:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return {}
        target: Any = doc
        for token in ref[2:].split("/"):
            key = token.replace("~1", "/").replace("~0", "~")
            target = target.get(key) if isinstance(target, dict) else None
        node, seen = target, seen + 1
    return node if isinstance(node, dict) else {}


# --- rendering -------------------------------------------------------------------------


def _flag(breaking: bool) -> str:
    return "**BREAKING** " if breaking else ""


def render_markdown(diff: SpecDiff, old_label: str, new_label: str) -> str:
    """The report as Markdown for CHANGELOG.md (a level-3 heading and its sections)."""
    lines = [f"### API changes: `{old_label}` -> `{new_label}`", ""]
    breaking = len(diff.breaking)
    lines.append(
        f"{diff.old_count} -> {diff.new_count} operations: {len(diff.added)} added, "
        f"{len(diff.removed)} removed, {len(diff.changed)} changed; "
        + (f"**{breaking} breaking change(s)**." if breaking else "no breaking changes.")
    )
    if diff.empty:
        lines += ["", "No user-visible changes."]
    if diff.added:
        lines += ["", f"#### Operations added ({len(diff.added)})", ""]
        lines += [f"- {op.label()}" for op in diff.added]
    if diff.removed:
        lines += ["", f"#### Operations removed ({len(diff.removed)})", ""]
        lines += [f"- **BREAKING** {op.label()}" for op in diff.removed]
    if diff.changed:
        lines += ["", f"#### Operations changed ({len(diff.changed)})", ""]
        for op, changes in diff.changed:
            lines.append(f"- {op.label()}")
            lines += [f"  - {_flag(c.breaking)}{c.text}" for c in changes]
    if diff.models_added or diff.models_removed:
        lines += ["", "#### Models", ""]
        lines += [f"- **BREAKING** `{name}` removed" for name in diff.models_removed]
        lines += [f"- `{name}` added" for name in diff.models_added]
    return "\n".join(lines) + "\n"


def render_summary(diff: SpecDiff, *, limit: int = 10) -> str:
    """A few lines for ``make generate``: counts, then the first breaking changes."""
    if diff.empty:
        return f"API unchanged since the shipped spec ({diff.new_count} operations).\n"
    breaking = diff.breaking
    lines = [
        f"API changes since the shipped spec: {len(diff.added)} operation(s) added, "
        f"{len(diff.removed)} removed, {len(diff.changed)} changed, "
        f"{len(diff.models_added)} model(s) added, {len(diff.models_removed)} removed; "
        f"{len(breaking)} breaking."
    ]
    lines += [f"  BREAKING {where}: {what}" for where, what in breaking[:limit]]
    if len(breaking) > limit:
        lines.append(f"  ... and {len(breaking) - limit} more breaking change(s)")
    lines.append("  Full report: python -m codegen diff OLD NEW (see `make diff`).")
    return "\n".join(lines) + "\n"
