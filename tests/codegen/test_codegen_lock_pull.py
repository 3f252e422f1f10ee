"""The spec lock file and `python -m codegen pull` (only ever against 127.0.0.1)."""

from __future__ import annotations

import functools
import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from codegen_helpers import json_response, make_doc, op

from codegen import paths
from codegen.documents import load_document
from codegen.errors import CodegenError
from codegen.lock import HAND_WRITTEN, read_lock, sha256_of, update_lock, verify_lock
from codegen.normalise import normalise
from codegen.pull import load_sources, pull, pull_whole, split_by_tag

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
    (served / "openapi.yaml").write_text(yaml.safe_dump(WHOLE, sort_keys=False), encoding="utf-8")
    (served / "openapi.json").write_text(json.dumps(WHOLE), encoding="utf-8")
    (served / "broken.json").write_bytes(b'{"openapi": "3.0.3", "paths": ')
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


REF = "#/components/schemas/"
WHOLE = make_doc(
    {
        "/pets": {
            "get": op("listPets", "Pets", responses=json_response({"$ref": REF + "PetPage"})),
            "post": op("addVisit", "Visits", responses=json_response({"$ref": REF + "Visit"})),
        },
        "/vets": {"get": op("listVets", "Vets", responses=json_response({"$ref": REF + "Vet"}))},
    },
    {
        "PetPage": {
            "type": "object",
            "properties": {"data": {"type": "array", "items": {"$ref": REF + "Pet"}}},
        },
        "Pet": {
            "oneOf": [{"$ref": REF + "Cat"}, {"$ref": REF + "Dog"}],
            "discriminator": {
                "propertyName": "kind",
                "mapping": {"cat": "Cat", "dog": REF + "Dog"},
            },
        },
        "Cat": {"type": "object", "properties": {"kind": {"type": "string"}}},
        "Dog": {"type": "object", "properties": {"kind": {"type": "string"}}},
        "Visit": {"type": "object", "properties": {"pet": {"$ref": REF + "Pet"}}},
        "Vet": {"type": "object", "properties": {"name": {"type": "string"}}},
        "Orphan": {"type": "object", "properties": {"x": {"type": "string"}}},
    },
    securitySchemes={"JWT": {"type": "http", "scheme": "bearer"}},
)
WHOLE["tags"] = [{"name": "Pets", "description": "Pets."}, {"name": "Visits"}, {"name": "Vets"}]


def test_sources_name_the_whole_api_documents_and_mark_inferred_urls() -> None:
    """sources.toml names /api/openapi.yaml and .json on the hub as inferred, and every entry says seen or inferred."""
    sources = load_sources()
    assert sources.whole[sources.default_whole].url == "https://hub.synerise.com/api/openapi.yaml"
    assert sources.whole["openapi-json"].url == "https://hub.synerise.com/api/openapi.json"
    assert all(s.inferred and "seeds/003" in s.note for s in sources.whole.values())
    seen = [name for name, s in sources.areas.items() if not s.inferred]
    assert seen == ["profile-management"]
    guessed = {"events", "transactions", "catalogs", "recommendations", "search"}
    assert not guessed & set(sources.areas)
    assert all(s.url.endswith(f"/api-reference/{n}.yaml") for n, s in sources.areas.items())


def test_split_by_tag_gives_each_part_exactly_the_components_it_needs() -> None:
    """Each part holds its tag's operations and the transitive closure of its refs (discriminator mappings included)."""
    parts, notes = split_by_tag(WHOLE)
    assert sorted(parts) == ["pets", "unreferenced-components", "vets", "visits"]
    pets = parts["pets"][1]
    assert list(pets["paths"]["/pets"]) == ["get"]
    assert sorted(pets["components"]["schemas"]) == ["Cat", "Dog", "Pet", "PetPage"]
    assert pets["components"]["securitySchemes"] == WHOLE["components"]["securitySchemes"]
    assert pets["tags"] == [{"name": "Pets", "description": "Pets."}]
    assert sorted(parts["visits"][1]["components"]["schemas"]) == ["Cat", "Dog", "Pet", "Visit"]
    assert sorted(parts["unreferenced-components"][1]["components"]["schemas"]) == ["Orphan"]
    assert any("1 component(s) no operation refers to" in n for n in notes)


@pytest.mark.parametrize("served", ["openapi.yaml", "openapi.json"])
def test_pull_whole_replaces_every_document_with_the_split_parts(
    tmp_path: Path, local_server: str, served: str
) -> None:
    """A whole-API pull (YAML or JSON) replaces all documents by tag parts that merge back into the same paths."""
    docs, lock = tmp_path / "documents", tmp_path / "spec.lock.json"
    (docs / "shared").mkdir(parents=True)
    (docs / "shared" / "fragment.yaml").write_bytes(b"type: string\n")
    (docs / "ours.yaml").write_bytes(DOC)
    update_lock(docs, lock)
    url = f"{local_server}/{served}"
    lines = pull_whole(url, docs, lock, timeout=5)
    assert "ours.yaml: removed" in lines
    assert sorted(p.name for p in docs.glob("*.yaml")) == [
        "pets.yaml",
        "unreferenced-components.yaml",
        "vets.yaml",
        "visits.yaml",
    ]
    assert (docs / "shared" / "fragment.yaml").exists()
    entries = read_lock(lock)
    assert sorted(entries) == sorted(p.name for p in docs.glob("*.yaml"))
    assert entries["pets.yaml"].source == f"{url}#tag=Pets"
    assert verify_lock(docs, lock) == []
    merged, _report = normalise(docs, tmp_path / "no-overlays")
    assert {p: sorted(i) for p, i in merged["paths"].items()} == {
        "/pets": ["get", "post"],
        "/vets": ["get"],
    }


def test_pull_whole_unsplit_keeps_the_document_byte_for_byte(
    tmp_path: Path, local_server: str
) -> None:
    """With split=False the downloaded document is the only document, unchanged, and its lock sha is the download's."""
    docs, lock = tmp_path / "documents", tmp_path / "spec.lock.json"
    docs.mkdir()
    (docs / "ours.yaml").write_bytes(DOC)
    pull_whole(f"{local_server}/openapi.json", docs, lock, timeout=5, split=False)
    assert [p.name for p in docs.iterdir()] == ["synerise.json"]
    served = tmp_path / "served" / "openapi.json"
    assert (docs / "synerise.json").read_bytes() == served.read_bytes()
    assert read_lock(lock)["synerise.json"].sha256 == sha256_of(served)
    assert load_document(docs / "synerise.json")["paths"].keys() == WHOLE["paths"].keys()


@pytest.mark.parametrize("bad", ["broken.json", "html.yaml", "missing.yaml"])
def test_pull_whole_failure_changes_nothing(tmp_path: Path, local_server: str, bad: str) -> None:
    """A whole-API document that is broken, not a spec or missing leaves documents and lock as they were."""
    docs, lock = tmp_path / "documents", tmp_path / "spec.lock.json"
    docs.mkdir()
    (docs / "ours.yaml").write_bytes(DOC)
    update_lock(docs, lock)
    lock_before = lock.read_bytes()
    with pytest.raises(CodegenError, match="left unchanged") as info:
        pull_whole(f"{local_server}/{bad}", docs, lock, timeout=5)
    assert "\n" not in info.value.render()
    assert _snapshot(docs) == {"ours.yaml": DOC} and lock.read_bytes() == lock_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents", "served", "spec.lock.json"]


def test_pull_whole_offline_fails_in_one_sentence_via_the_cli() -> None:
    """`pull --whole URL` with nothing listening exits 1 with one sentence and changes nothing."""
    before = _snapshot(paths.DOCUMENTS_DIR)
    lock_before = paths.LOCK_FILE.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "codegen", "pull", "--whole", "http://127.0.0.1:9/openapi.yaml"],
        capture_output=True,
        text=True,
        cwd=paths.ROOT,
        check=False,
    )
    assert result.returncode == 1 and result.stdout == ""
    message = result.stderr.strip()
    assert message.count("\n") == 0
    assert message.startswith("Pull failed: cannot download http://127.0.0.1:9/openapi.yaml")
    assert _snapshot(paths.DOCUMENTS_DIR) == before and paths.LOCK_FILE.read_bytes() == lock_before


def test_document_parser_refuses_duplicate_keys_and_keeps_dates_as_strings() -> None:
    """The (libyaml-backed) spec loader names the file and line of a duplicate key and leaves dates as text."""
    from codegen.documents import parse_document_bytes

    with pytest.raises(CodegenError, match=r"^x\.yaml: line 3: duplicate key 'a'"):
        parse_document_bytes(b"openapi: 3.0.3\na: 1\na: 2\n", "x.yaml")
    parsed = parse_document_bytes(
        b"openapi: 3.0.3\nwhen: 2024-01-01\nat: 2024-01-01T10:00:00Z\n", "y"
    )
    assert parsed == {"openapi": "3.0.3", "when": "2024-01-01", "at": "2024-01-01T10:00:00Z"}
