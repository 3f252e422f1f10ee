"""``python -m codegen normalise``: documents -> one generator-ready document.

Steps: load ``openapi/documents/*.yaml``; make external ``$ref``s local per document;
merge; apply ``openapi/overlays/*.yaml``; infer the SDK knowledge no overlay gave
(``infer.py``: pagination, retry safety, timestamp units); run the pre-flight fixes and
checks. The result
goes to ``openapi/build/synerise.json`` with a report of every change next to it.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import paths
from .documents import Document, load_documents
from .errors import CodegenError
from .infer import infer_sdk_knowledge
from .merge import merge_documents
from .overlay import apply_overlays
from .preflight import run_preflight
from .refs import resolve_external_refs
from .spec import Report

__all__ = ["normalise", "write_build"]


def normalise(
    documents_dir: Path = paths.DOCUMENTS_DIR, overlays_dir: Path = paths.OVERLAYS_DIR
) -> tuple[Document, Report]:
    """Build the normalised document in memory; raise CodegenError on any problem."""
    if not documents_dir.is_dir():
        raise CodegenError(f"{documents_dir} does not exist.")
    documents = load_documents(documents_dir)
    report = Report()
    for name, doc in documents.items():
        for line in resolve_external_refs(doc, documents_dir / name):
            report.fixed(line)
    merged = merge_documents(documents, report)
    apply_overlays(merged, overlays_dir, report)
    infer_sdk_knowledge(merged, report)
    run_preflight(merged, report)
    return merged, report


def dump_spec(doc: Document) -> str:
    """The normalised document as stable, human-diffable JSON."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_build(doc: Document, report: Report, build_dir: Path = paths.BUILD_DIR) -> Path:
    """Write ``synerise.json`` and the report into ``build_dir``; return the spec path."""
    build_dir.mkdir(parents=True, exist_ok=True)
    spec_path = build_dir / paths.NORMALISED_SPEC.name
    spec_path.write_text(dump_spec(doc), encoding="utf-8")
    (build_dir / paths.REPORT_FILE.name).write_text(report.render(), encoding="utf-8")
    return spec_path
