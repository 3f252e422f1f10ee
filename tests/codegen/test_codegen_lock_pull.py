"""The spec lock file and `python -m codegen pull` (only ever against 127.0.0.1)."""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from codegen import paths
from codegen.errors import CodegenError
from codegen.lock import HAND_WRITTEN, read_lock, sha256_of, update_lock, verify_lock
from codegen.pull import pull

DOC = b"openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n"


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def test_lock_matches_vendored_documents() -> None:
    """openapi/spec.lock.json lists every document with its current sha256 (run `make lock`)."""
    assert verify_lock() == []


def test_lock_records_hand_written_documents_and_is_idempotent(tmp_path: Path) -> None:
    """`lock` adds hand-written entries once; re-running changes nothing."""
    docs, lock = tmp_path / "documents", tmp_path / "spec.lock.json"
    docs.mkdir()
    (docs / "a.yaml").write_bytes(DOC)
    assert update_lock(docs, lock) == ["a.yaml: added"]
    before = lock.read_bytes()
    assert update_lock(docs, lock) == []
    assert lock.read_bytes() == before
    entry = read_lock(lock)["a.yaml"]
    assert entry.source == HAND_WRITTEN and entry.sha256 == sha256_of(docs / "a.yaml")
    (docs / "a.yaml").write_bytes(DOC + b"# edited\n")
    assert verify_lock(docs, lock) == ["a.yaml: sha256 differs from the lock"]


def test_lock_refuses_a_pulled_document_edited_by_hand(tmp_path: Path) -> None:
    """A pulled document whose bytes changed is not silently re-locked as hand-written."""
    docs, lock = tmp_path / "documents", tmp_path / "spec.lock.json"
    docs.mkdir()
    (docs / "a.yaml").write_bytes(DOC)
    lock.write_text(
        '{"version": 1, "documents": [{"file": "a.yaml", "source": "https://x.test/a.yaml", '
        '"date": "2025-01-01", "sha256": "0"}]}',
        encoding="utf-8",
    )
    with pytest.raises(CodegenError, match="differs from what was pulled"):
        update_lock(docs, lock)


def test_pull_without_network_fails_in_one_sentence_and_touches_nothing() -> None:
    """With nothing listening, `pull` exits 1 with one sentence and leaves documents and lock alone."""
    before = _snapshot(paths.DOCUMENTS_DIR)
    lock_before = paths.LOCK_FILE.read_bytes() if paths.LOCK_FILE.exists() else None
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "codegen",
            "pull",
            "--only",
            "--url",
            "events=http://127.0.0.1:9/events.yaml",
        ],
        capture_output=True,
        text=True,
        cwd=paths.ROOT,
        check=False,
    )
    assert result.returncode == 1
    message = result.stderr.strip()
    assert message.count("\n") == 0 and message.endswith("left unchanged.")
    assert message.startswith("Pull failed: cannot download http://127.0.0.1:9/events.yaml")
    assert _snapshot(paths.DOCUMENTS_DIR) == before
    assert (paths.LOCK_FILE.read_bytes() if paths.LOCK_FILE.exists() else None) == lock_before


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 serving tmp_path/served; yields its base URL."""
    served = tmp_path / "served"
    served.mkdir()
    (served / "good.yaml").write_bytes(DOC)
    (served / "html.yaml").write_bytes(b"<html>not a spec</html>")
    handler = functools.partial(_QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_pull_replaces_documents_and_records_the_source(tmp_path: Path, local_server: str) -> None:
    """A successful pull writes the document and a lock entry with its URL and sha256."""
    docs, lock = tmp_path / "documents", tmp_path / "spec.lock.json"
    pull({"events": f"{local_server}/good.yaml"}, docs, lock, timeout=5)
    assert (docs / "events.yaml").read_bytes() == DOC
    entry = read_lock(lock)["events.yaml"]
    assert entry.source == f"{local_server}/good.yaml" and entry.sha256 == sha256_of(
        docs / "events.yaml"
    )


@pytest.mark.parametrize("bad", ["missing.yaml", "html.yaml"])
def test_pull_is_all_or_nothing(tmp_path: Path, local_server: str, bad: str) -> None:
    """If any download fails (404, not a spec), no document is replaced."""
    docs, lock = tmp_path / "documents", tmp_path / "spec.lock.json"
    docs.mkdir()
    (docs / "a.yaml").write_bytes(b"old a")
    sources = {"a": f"{local_server}/good.yaml", "b": f"{local_server}/{bad}"}
    with pytest.raises(CodegenError, match="left unchanged"):
        pull(sources, docs, lock, timeout=5)
    assert _snapshot(docs) == {"a.yaml": b"old a"}
    assert not lock.exists()
