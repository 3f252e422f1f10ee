"""``python -m codegen pull``: download the published documents, all or nothing.

Every document is downloaded into a temporary directory and parsed; only when all of
them succeed are the vendored files replaced and the lock updated. On any failure the
vendored documents are untouched and the error is one sentence.
"""

from __future__ import annotations

import shutil
import tempfile
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

from . import paths
from .documents import parse_document_bytes
from .errors import CodegenError
from .lock import LockEntry, read_lock, sha256_of, today, write_lock

__all__ = ["TIMEOUT_SECONDS", "load_sources", "pull"]

TIMEOUT_SECONDS = 30.0
_USER_AGENT = "synerise-async-codegen"


def load_sources(sources_file: Path = paths.SOURCES_FILE) -> dict[str, str]:
    """Document name (file stem) -> URL, from ``codegen/sources.toml``."""
    with sources_file.open("rb") as handle:
        data = tomllib.load(handle)
    documents = data.get("documents")
    if not isinstance(documents, dict) or not all(isinstance(v, str) for v in documents.values()):
        raise CodegenError(f'{sources_file}: expected a [documents] table of name = "URL".')
    return dict(documents)


def pull(
    sources: dict[str, str],
    documents_dir: Path = paths.DOCUMENTS_DIR,
    lock_file: Path = paths.LOCK_FILE,
    timeout: float = TIMEOUT_SECONDS,
) -> list[str]:
    """Download every source; replace documents and lock entries only if all succeed."""
    with tempfile.TemporaryDirectory(prefix="synerise-pull-") as scratch:
        downloaded: dict[str, Path] = {}
        for name, url in sorted(sources.items()):
            target = Path(scratch) / f"{name}.yaml"
            target.write_bytes(_download(name, url, timeout))
            downloaded[name] = target
        entries = read_lock(lock_file)
        documents_dir.mkdir(parents=True, exist_ok=True)
        lines = []
        for name, path in downloaded.items():
            file_name = f"{name}.yaml"
            digest = sha256_of(path)
            old = entries.get(file_name)
            # Copy next to the destination, then rename: each file is replaced atomically.
            staging = documents_dir / f".{file_name}.part"
            shutil.copyfile(path, staging)
            staging.replace(documents_dir / file_name)
            unchanged = old is not None and old.sha256 == digest and old.source == sources[name]
            entries[file_name] = LockEntry(
                file=file_name,
                source=sources[name],
                date=old.date if (unchanged and old is not None) else today(),
                sha256=digest,
            )
            lines.append(
                f"{file_name}: {'unchanged' if unchanged else 'updated'} from {sources[name]}"
            )
        write_lock(entries, lock_file)
    return lines


def _download(name: str, url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data: bytes = response.read()
    except urllib.error.HTTPError as exc:
        raise CodegenError(
            f"Pull failed: {url} answered HTTP {exc.code}; the vendored documents were left unchanged."
        ) from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CodegenError(
            f"Pull failed: cannot download {url} ({reason}); the vendored documents were left unchanged."
        ) from exc
    try:
        parse_document_bytes(data, url)
    except CodegenError as exc:
        raise CodegenError(
            f"Pull failed: {url} is not an OpenAPI document ({exc.summary}); "
            "the vendored documents were left unchanged."
        ) from exc
    return data
