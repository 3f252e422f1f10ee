"""Where things live, relative to the project root (the parent of this package)."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "BUILD_DIR",
    "CONFIG_FILE",
    "DOCUMENTS_DIR",
    "GENERATED_PARTS",
    "LOCK_FILE",
    "NORMALISED_SPEC",
    "OVERLAYS_DIR",
    "PACKAGE_DIR",
    "PACKAGE_NAME",
    "REPORT_FILE",
    "ROOT",
    "SOURCES_FILE",
    "TEMPLATES_DIR",
]

CODEGEN_DIR = Path(__file__).resolve().parent
ROOT = CODEGEN_DIR.parent
OPENAPI_DIR = ROOT / "openapi"
DOCUMENTS_DIR = OPENAPI_DIR / "documents"
OVERLAYS_DIR = OPENAPI_DIR / "overlays"
LOCK_FILE = OPENAPI_DIR / "spec.lock.json"
BUILD_DIR = OPENAPI_DIR / "build"
NORMALISED_SPEC = BUILD_DIR / "synerise.json"
REPORT_FILE = BUILD_DIR / "normalise-report.txt"
TEMPLATES_DIR = CODEGEN_DIR / "templates"
CONFIG_FILE = CODEGEN_DIR / "config.yaml"
SOURCES_FILE = CODEGEN_DIR / "sources.toml"
PACKAGE_NAME = "synerise_async"
PACKAGE_DIR = ROOT / PACKAGE_NAME
# The only parts of the package generation owns; everything else there is hand-written.
GENERATED_PARTS = ("api", "models", "resources", "types.py")
