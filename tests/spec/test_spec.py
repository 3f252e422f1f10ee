"""The vendored Synerise spec: valid, faithful to the seed documents, and honest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted((ROOT / "openapi" / "documents").glob("*.yaml"))
PACKAGED_SPEC = ROOT / "synerise_async" / "api" / "openapi.json"
METHODS = ("get", "put", "post", "delete", "patch")

# Every operation the seed pages describe (../shared/seeds), with its real method and path.
SEED_OPERATIONS = [
    ("POST", "/sauth/v3/auth/refresh/client"),  # profile token refresh
    ("POST", "/sauth/v3/auth/login/client"),  # profile login
    ("POST", "/sauth/v3/auth/login/client/conditional"),  # conditional profile login
    ("POST", "/sauth/v3/auth/login/client/anonymous"),  # anonymous profile login
    ("POST", "/uauth/auth/login/user"),  # user login
    ("POST", "/uauth/auth/login/user/mfa/verification"),  # user MFA verification
    ("POST", "/uauth/auth/login/user/profile/{businessProfileUUID}"),  # select workspace
    ("GET", "/uauth/business-profile/"),  # list workspaces
    ("GET", "/uauth/business-profile/ids"),  # workspace ids
    ("GET", "/uauth/business-profile/current"),  # current workspace
    ("POST", "/uauth/v2/auth/login/profile"),  # workspace login with API key
    ("GET", "/v4/auth/refresh/profile"),  # workspace token refresh
    ("POST", "/business-profile-service/organizations/usage/stats/newDataPoints"),
    ("POST", "/business-profile-service/organizations/usage/stats/retentionDataPoints"),
    ("GET", "/business-profile-service/organizations/usage/stats/api-calls"),
    ("GET", "/business-profile-service/organizations/usage/stats/api-calls/unique-values"),
    ("GET", "/business-profile-service/organizations/usage/stats/api-calls/count"),
    ("GET", "/automation-brain/diagrams"),  # list workflows v1
    ("GET", "/automation-brain/v2/diagrams"),  # list workflows v2
    ("POST", "/automation-brain/diagrams/{diagramId}/run"),  # run / resume
    ("POST", "/automation-brain/diagrams/{diagramId}/pause"),
    ("POST", "/automation-brain/diagrams/{diagramId}/stop"),
    ("POST", "/automation-brain/diagrams/{diagramId}/schedule-on"),
    ("POST", "/automation-brain/diagrams/{diagramId}/schedule-off"),
    ("GET", "/automation-brain/diagrams/{diagramId}/statistics"),
    ("GET", "/automation-brain/diagrams/{diagramId}/blocks/{blockId}/statistics"),
    ("GET", "/morph/logs/automation/{automationWorkflowId}/last-run/with-stages"),
]
# The server-side profile login exists in the seeds but its path is published nowhere;
# it is present under an unconfirmed path (checked below).
SERVER_SIDE_LOGIN = "logInProfileServerSide"

# operationIds Synerise publishes (reference catalogue), which must be kept verbatim.
PUBLISHED_IDS = {
    "getPaginatedDiagrams",
    "getPaginatedDiagramsV2",
    "profileLogin",
    "userLogin",
    "RefreshAClientTokenV3",
    "LogInAnonymouslyV3",
    "generateDailyNewDataPointsStats",
    "customEvent",
    "batchSendEvents",
    "listClients",
    "CreateATransaction",
    "BatchAddOrUpdateTransactions",
    "createAClientInCrm",
    "batchAddOrUpdateClients",
    "findAClient",
}


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


@pytest.fixture(scope="module")
def merged() -> dict[str, Any]:
    return json.loads(PACKAGED_SPEC.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_each_document_is_valid_openapi(path: Path) -> None:
    """Every vendored document validates on its own with openapi-spec-validator."""
    validate(load(path))


def test_the_normalised_spec_is_valid_openapi(merged: dict[str, Any]) -> None:
    """The merged, normalised spec the code is generated from is valid too."""
    validate(merged)


def test_every_seed_operation_is_present(merged: dict[str, Any]) -> None:
    """Each operation described in the seed pages exists with its real method and path."""
    present = {(method, path) for method, path, _ in operations(merged)}
    missing = [op for op in SEED_OPERATIONS if op not in present]
    assert not missing
    ids = {op["operationId"]: op for _, _, op in operations(merged)}
    assert ids[SERVER_SIDE_LOGIN]["x-synerise-unconfirmed"] is True


def test_published_operation_ids_are_kept(merged: dict[str, Any]) -> None:
    """operationIds that Synerise publishes appear verbatim."""
    ids = {op["operationId"] for _, _, op in operations(merged)}
    assert PUBLISHED_IDS <= ids


def test_the_data_plane_is_covered(merged: dict[str, Any]) -> None:
    """Events, transactions, profiles and catalogs are there, well beyond 60 operations in all."""
    ops = operations(merged)
    assert len(ops) >= 60
    tags = {op["tags"][0] for _, _, op in ops}
    assert {"Events", "Transactions", "Profiles", "Catalogs", "Automation", "Authorization"} <= tags


def test_every_operation_states_its_provenance(merged: dict[str, Any]) -> None:
    """Each operation names its confidence and source; unconfirmed ones give a reason."""
    for method, path, op in operations(merged):
        where = f"{method} {path}"
        assert op.get("x-synerise-confidence"), where
        assert op.get("x-synerise-source"), where
        if op.get("x-synerise-unconfirmed"):
            assert str(op.get("x-synerise-unconfirmed-reason", "")).strip(), where


def test_security_is_declared_per_operation(merged: dict[str, Any]) -> None:
    """Every operation carries its own security list (the generator ignores global security)."""
    for method, path, op in operations(merged):
        assert "security" in op, f"{method} {path}"


def test_servers_cover_the_three_regions() -> None:
    """Each document lists Azure EU, Azure US and GCP servers."""
    expected = {
        "https://api.synerise.com",
        "https://api.azu.synerise.com",
        "https://api.geb.synerise.com",
    }
    for path in DOCUMENTS:
        assert {s["url"] for s in load(path)["servers"]} == expected, path.name


def test_error_responses_use_the_synerise_error_body(merged: dict[str, Any]) -> None:
    """4xx/5xx responses with a body use the common ErrorResponse schema."""
    for method, path, op in operations(merged):
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")) and "content" in response:
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (
                    method,
                    path,
                    status,
                )


def test_the_lock_file_covers_every_document() -> None:
    """openapi/spec.lock.json names every document with source, date and sha256."""
    lock = json.loads((ROOT / "openapi" / "spec.lock.json").read_text(encoding="utf-8"))
    text = json.dumps(lock)
    for path in DOCUMENTS:
        assert path.name in text
    assert "sha256" in text
