"""``openapi/spec.lock.json``: where each vendored document came from, when, its sha256.

Format (entries sorted by file)::

    {
      "version": 1,
      "documents": [
        {"file": "automation.yaml",
         "source": "written from the published reference pages",
         "date": "2025-11-22",
         "sha256": "<hex digest of the file's bytes>"},
        {"file": "profiles.yaml",
         "source": "https://hub.synerise.com/api-reference/profile-management.yaml",
         "date": "2025-11-22", "sha256": "..."}
      ]
    }

``source`` is a URL for documents written by ``pull`` and ``HAND_WRITTEN`` for ours.
``date`` is the UTC day the file content last changed (kept when the sha is unchanged,
so re-locking is a no-op).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path
from typing import Any

import attrs

from . import paths
from .errors import CodegenError

__all__ = [
    "HAND_WRITTEN",
    "LockEntry",
    "read_lock",
    "sha256_of",
    "today",
    "update_lock",
    "verify_lock",
    "write_lock",
]

HAND_WRITTEN = "written from the published reference pages"
LOCK_VERSION = 1


@attrs.frozen
class LockEntry:
    """One vendored document."""

    file: str
    source: str
    date: str
    sha256: str


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def today() -> str:
    """Today's UTC date, ``YYYY-MM-DD``."""
    return datetime.datetime.now(datetime.UTC).date().isoformat()


def read_lock(lock_file: Path = paths.LOCK_FILE) -> dict[str, LockEntry]:
    """Entries by file name; empty when there is no lock file yet."""
    if not lock_file.exists():
        return {}
    try:
        raw: Any = json.loads(lock_file.read_text(encoding="utf-8"))
        return {e["file"]: LockEntry(**e) for e in raw["documents"]}
    except (ValueError, KeyError, TypeError) as exc:
        raise CodegenError(f"{lock_file} is not a valid lock file: {exc}") from exc


def write_lock(entries: dict[str, LockEntry], lock_file: Path = paths.LOCK_FILE) -> None:
    """Write entries sorted by file name."""
    payload = {
        "version": LOCK_VERSION,
        "documents": [attrs.asdict(entries[name]) for name in sorted(entries)],
    }
    lock_file.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def document_files(documents_dir: Path = paths.DOCUMENTS_DIR) -> list[Path]:
    """The vendored documents, sorted."""
    return sorted(p for p in documents_dir.glob("*") if p.suffix in {".yaml", ".yml", ".json"})


def update_lock(
    documents_dir: Path = paths.DOCUMENTS_DIR, lock_file: Path = paths.LOCK_FILE
) -> list[str]:
    """Recompute entries of hand-written documents; return one line per change.

    A pulled document (URL source) whose bytes changed was edited by hand after the
    pull: that is refused, because the lock would then claim the URL serves that content.
    """
    entries = read_lock(lock_file)
    changes: list[str] = []
    problems: list[str] = []
    present = {p.name: p for p in document_files(documents_dir)}
    for name in sorted(entries.keys() - present.keys()):
        del entries[name]
        changes.append(f"{name}: removed (file deleted)")
    for name, path in present.items():
        digest = sha256_of(path)
        entry = entries.get(name)
        if entry is not None and entry.sha256 == digest:
            continue
        if entry is not None and entry.source != HAND_WRITTEN:
            problems.append(
                f"{name} differs from what was pulled from {entry.source}; re-run "
                "`python -m codegen pull` or put the change in an overlay"
            )
            continue
        entries[name] = LockEntry(file=name, source=HAND_WRITTEN, date=today(), sha256=digest)
        changes.append(f"{name}: {'added' if entry is None else 'updated'}")
    if problems:
        raise CodegenError("Lock not updated:", problems)
    write_lock(entries, lock_file)
    return changes


def verify_lock(
    documents_dir: Path = paths.DOCUMENTS_DIR, lock_file: Path = paths.LOCK_FILE
) -> list[str]:
    """Every mismatch between the lock and the documents (empty list: they match)."""
    entries = read_lock(lock_file)
    present = {p.name: p for p in document_files(documents_dir)}
    problems = [f"{n}: in the lock but missing" for n in sorted(entries.keys() - present.keys())]
    problems += [f"{n}: not in the lock" for n in sorted(present.keys() - entries.keys())]
    for name in sorted(entries.keys() & present.keys()):
        if entries[name].sha256 != sha256_of(present[name]):
            problems.append(f"{name}: sha256 differs from the lock")
    return problems
