"""``python -m codegen pull``: download the published spec, all or nothing.

Two shapes of source (``codegen/sources.toml``):

* one **whole-API** document (YAML or JSON). By default it is split by each operation's
  first tag into ``openapi/documents/<tag-slug>.yaml`` (every part carries the components
  it refers to, so each validates on its own and the merge de-duplicates them); with
  ``split=False`` it is kept whole as ``openapi/documents/synerise.<yaml|json>``, byte for
  byte. Either way the result **replaces every document** in the directory: the whole API
  is the source of truth, and our hand-written documents would define the same paths.
* **per-area** documents, each written to ``openapi/documents/<area>.yaml``; the other
  documents stay.

Everything is downloaded and parsed first, then the new directory is assembled next to
the old one and swapped in with the new lock, so a failure at any point leaves the
documents and ``openapi/spec.lock.json`` as they were, and the error is one sentence.
"""

from __future__ import annotations

import copy
import re
import shutil
import tempfile
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the dev deps

from . import paths
from .documents import Document, parse_document_bytes
from .errors import CodegenError
from .lock import LockEntry, document_files, read_lock, sha256_of, today, write_lock
from .spec import HTTP_METHODS, iter_refs

__all__ = [
    "TIMEOUT_SECONDS",
    "Source",
    "Sources",
    "load_sources",
    "pull",
    "pull_whole",
    "split_by_tag",
]

TIMEOUT_SECONDS = 60.0
_USER_AGENT = "synerise-async-codegen"
UNTAGGED = "untagged"
UNREFERENCED = "unreferenced-components"
"""File stem of the part holding components no operation refers to (kept, not dropped)."""
_UNCHANGED = "the vendored documents were left unchanged"


@attrs.frozen
class Source:
    """One URL from ``sources.toml`` and how we know it."""

    name: str
    url: str
    inferred: bool
    note: str
    """Where the URL was seen, or why it is inferred."""


@attrs.frozen
class Sources:
    """The whole-API documents (with the default one) and the per-area documents."""

    whole: dict[str, Source]
    default_whole: str
    areas: dict[str, Source]


def load_sources(sources_file: Path = paths.SOURCES_FILE) -> Sources:
    """Parse ``codegen/sources.toml``; every entry must say seen or inferred."""
    try:
        with sources_file.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CodegenError(f"{sources_file}: cannot read it ({exc}).") from exc
    problems: list[str] = []
    whole = _sources_table(data.get("whole"), "whole", problems, skip={"default"})
    areas = _sources_table(data.get("areas"), "areas", problems)
    default = (data.get("whole") or {}).get("default")
    if default not in whole:
        problems.append(f"[whole] default = {default!r} names no [whole.<name>] table")
    if problems:
        raise CodegenError(f"{sources_file} is not valid:", problems)
    return Sources(whole=whole, default_whole=str(default), areas=areas)


def _sources_table(
    table: Any, section: str, problems: list[str], skip: frozenset[str] | set[str] = frozenset()
) -> dict[str, Source]:
    if not isinstance(table, dict):
        problems.append(f"no [{section}] table")
        return {}
    found: dict[str, Source] = {}
    for name, entry in table.items():
        if name in skip:
            continue
        where = f"[{section}.{name}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            problems.append(f'{where} needs url = "..."')
            continue
        inferred = entry.get("inferred", False) is True
        note = entry.get("reason") if inferred else entry.get("seen")
        if not isinstance(note, str) or not note:
            problems.append(f'{where} needs either seen = "..." or inferred = true with reason')
            continue
        found[name] = Source(name=name, url=entry["url"], inferred=inferred, note=note)
    return found


# --- the two kinds of pull -----------------------------------------------------------


def pull(
    sources: dict[str, str],
    documents_dir: Path = paths.DOCUMENTS_DIR,
    lock_file: Path = paths.LOCK_FILE,
    timeout: float = TIMEOUT_SECONDS,
) -> list[str]:
    """Download per-area documents (file stem -> URL); the other documents stay."""
    files: dict[str, tuple[bytes, str]] = {}
    for name, url in sorted(sources.items()):
        data = _download(url, timeout)
        _parse(data, url)
        files[f"{name}.yaml"] = (data, url)
    return _install(files, documents_dir, lock_file, replace_all=False)


def pull_whole(
    url: str,
    documents_dir: Path = paths.DOCUMENTS_DIR,
    lock_file: Path = paths.LOCK_FILE,
    timeout: float = TIMEOUT_SECONDS,
    *,
    split: bool = True,
) -> list[str]:
    """Download one whole-API document; it replaces every document (split by tag or whole)."""
    data = _download(url, timeout)
    doc = _parse(data, url)
    if not split:
        suffix = ".json" if data.lstrip()[:1] == b"{" else ".yaml"
        return _install(
            {f"synerise{suffix}": (data, url)}, documents_dir, lock_file, replace_all=True
        )
    parts, notes = split_by_tag(doc)
    files = {
        f"{stem}.yaml": (_dump_yaml(part), f"{url}#tag={tag}")
        for stem, (tag, part) in parts.items()
    }
    return [*notes, *_install(files, documents_dir, lock_file, replace_all=True)]


# --- splitting a whole-API document ---------------------------------------------------

_COMPONENT_REF = re.compile(r"^#/components/([^/]+)/([^/]+)")
_CARRIED_KEYS = ("openapi", "info", "servers", "security", "tags", "paths", "components")


def split_by_tag(doc: Document) -> tuple[dict[str, tuple[str, Document]], list[str]]:
    """Split by each operation's first tag: file stem -> (tag, document); plus notes.

    Each part has the whole document's ``openapi``, ``info`` (title suffixed with the
    tag), ``servers``, global ``security`` and every security scheme, its own tag object,
    its operations (path-level keys copied to every part that has one of the path's
    operations) and exactly the components its operations refer to, transitively.
    Components no operation refers to go to ``unreferenced-components.yaml``.
    """
    tag_objects = {t["name"]: t for t in doc.get("tags") or [] if isinstance(t, dict)}
    by_tag: dict[str, dict[str, Any]] = {}
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        shared = {k: v for k, v in item.items() if k not in HTTP_METHODS}
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            tags = operation.get("tags")
            tag = str(tags[0]) if isinstance(tags, list) and tags else UNTAGGED
            target = by_tag.setdefault(tag, {}).setdefault(path, copy.deepcopy(shared))
            target[method] = copy.deepcopy(operation)
    components = doc.get("components") or {}
    used_anywhere: set[tuple[str, str]] = set()
    parts: dict[str, tuple[str, Document]] = {}
    stems: set[str] = set()
    for tag in sorted(by_tag):
        part_paths = by_tag[tag]
        needed = _component_closure(part_paths, components)
        used_anywhere |= needed
        part = _part_skeleton(doc, tag, tag_objects.get(tag, {"name": tag}))
        part["paths"] = part_paths
        part["components"] = _select_components(components, needed)
        parts[_free_stem(_slug(tag), stems)] = (tag, part)
    notes: list[str] = []
    leftover = {
        (section, name)
        for section, entries in components.items()
        if isinstance(entries, dict) and section != "securitySchemes"
        for name in entries
    } - used_anywhere
    if leftover:
        part = _part_skeleton(doc, None, None)
        part["paths"] = {}
        part["components"] = _select_components(components, leftover)
        parts[_free_stem(UNREFERENCED, stems)] = ("", part)
        notes.append(
            f"{len(leftover)} component(s) no operation refers to kept in {UNREFERENCED}.yaml"
        )
    dropped = sorted(k for k in doc if k not in _CARRIED_KEYS)
    if dropped:
        notes.append(
            "top-level keys not carried into the split documents (the merge ignores them): "
            + ", ".join(dropped)
        )
    return parts, notes


def _part_skeleton(doc: Document, tag: str | None, tag_object: Any) -> Document:
    info = copy.deepcopy(doc.get("info") or {})
    title = str(info.get("title", "Synerise API"))
    info["title"] = f"{title}: {tag}" if tag else f"{title}: shared components"
    part: Document = {"openapi": doc["openapi"], "info": info}
    for key in ("servers", "security"):
        if key in doc:
            part[key] = copy.deepcopy(doc[key])
    if tag_object is not None:
        part["tags"] = [copy.deepcopy(tag_object)]
    return part


def _component_closure(node: Any, components: dict[str, Any]) -> set[tuple[str, str]]:
    """Every (section, name) of ``components`` that ``node`` refers to, transitively."""
    found: set[tuple[str, str]] = set()
    pending = [node]
    while pending:
        for target in _component_targets(pending.pop()):
            if target in found:
                continue
            section, name = target
            entry = (components.get(section) or {}).get(name)
            if entry is None:
                continue  # a dangling $ref: the pre-flight check reports it after the merge
            found.add(target)
            pending.append(entry)
    return found


def _component_targets(node: Any) -> Iterator[tuple[str, str]]:
    for _holder, ref in iter_refs(node):
        match = _COMPONENT_REF.match(ref)
        if match:
            yield match.group(1), _unescape(match.group(2))
    # Discriminator mappings name schemas by string, not by $ref.
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            disc = current.get("discriminator")
            if isinstance(disc, dict) and isinstance(disc.get("mapping"), dict):
                for target in disc["mapping"].values():
                    text = str(target)
                    match = _COMPONENT_REF.match(text)
                    yield ("schemas", _unescape(match.group(2)) if match else text)
            stack.extend(v for k, v in current.items() if k not in ("example", "examples"))
        elif isinstance(current, list):
            stack.extend(current)


def _select_components(components: dict[str, Any], needed: set[tuple[str, str]]) -> Document:
    selected: Document = {}
    for section, entries in components.items():
        if not isinstance(entries, dict):
            continue
        if section == "securitySchemes":
            selected[section] = copy.deepcopy(entries)
            continue
        chosen = {
            name: copy.deepcopy(v) for name, v in entries.items() if (section, name) in needed
        }
        if chosen:
            selected[section] = chosen
    return selected


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _slug(tag: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-") or UNTAGGED


def _free_stem(stem: str, taken: set[str]) -> str:
    name, counter = stem, 2
    while name in taken:
        name, counter = f"{stem}-{counter}", counter + 1
    taken.add(name)
    return name


def _dump_yaml(doc: Document) -> bytes:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text: str = yaml.dump(
        doc, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    return text.encode("utf-8")


# --- download, parse, install ----------------------------------------------------------


def _download(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data: bytes = response.read()
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the response's socket
        raise CodegenError(f"Pull failed: {url} answered HTTP {exc.code}; {_UNCHANGED}.") from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CodegenError(f"Pull failed: cannot download {url} ({reason}); {_UNCHANGED}.") from exc
    return data


def _parse(data: bytes, url: str) -> Document:
    """Parse a downloaded document; a bad one fails the pull, changing nothing."""
    try:
        doc = parse_document_bytes(data, url)
        if not isinstance(doc.get("paths", {}), dict):
            raise CodegenError(f"{url}: 'paths' is not a mapping.")
    except CodegenError as exc:
        summary = exc.summary.replace("\n", " ")
        raise CodegenError(
            f"Pull failed: {url} is not an OpenAPI document ({summary}); {_UNCHANGED}."
        ) from exc
    return doc


def _install(
    files: dict[str, tuple[bytes, str]],
    documents_dir: Path,
    lock_file: Path,
    *,
    replace_all: bool,
) -> list[str]:
    """Swap in a documents directory holding ``files`` (name -> (bytes, source)) and its lock.

    With ``replace_all`` every existing document (a top-level ``*.yaml``/``*.yml``/``*.json``)
    goes; other files (fragments a document refers to, a README) are kept either way.
    """
    old_entries = read_lock(lock_file)
    documents_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{documents_dir.name}.pull-", dir=documents_dir.parent)
    )
    retired = staging.with_name(staging.name + ".old")
    lock_staging = lock_file.with_name(f".{lock_file.name}.pull")
    try:
        # mkdtemp makes the directory private; give it the permissions the old one had.
        staging.chmod(documents_dir.stat().st_mode & 0o777 if documents_dir.is_dir() else 0o755)
        current = set(document_files(documents_dir)) if documents_dir.is_dir() else set()
        if documents_dir.is_dir():
            for entry in documents_dir.iterdir():
                if replace_all and entry in current:
                    continue
                copier = shutil.copytree if entry.is_dir() else shutil.copy2
                copier(entry, staging / entry.name)
        entries = {} if replace_all else dict(old_entries)
        lines = []
        for name, (data, source) in sorted(files.items()):
            (staging / name).write_bytes(data)
            digest = sha256_of(staging / name)
            old = old_entries.get(name)
            unchanged = old is not None and old.sha256 == digest and old.source == source
            entries[name] = LockEntry(
                file=name,
                source=source,
                date=old.date if (unchanged and old is not None) else today(),
                sha256=digest,
            )
            lines.append(f"{name}: {'unchanged' if unchanged else 'updated'} from {source}")
        if replace_all:
            lines += [f"{p.name}: removed" for p in sorted(current) if p.name not in files]
        write_lock(entries, lock_staging)
        # The swap: two renames and a replace, after everything above has succeeded.
        if documents_dir.exists():
            documents_dir.rename(retired)
        try:
            staging.rename(documents_dir)
        except OSError:
            if retired.exists():
                retired.rename(documents_dir)
            raise
        lock_staging.replace(lock_file)
    except OSError as exc:
        raise CodegenError(
            f"Pull failed: cannot write {documents_dir} ({exc}); {_UNCHANGED}."
        ) from exc
    finally:
        for leftover in (staging, retired):
            if leftover.exists():
                shutil.rmtree(leftover)
        lock_staging.unlink(missing_ok=True)
    return lines
