"""Payload shapes of the benchmark routes, taken from the spec in ``openapi/documents``.

The bench server sends these bytes and the clients parse them with their own models, so
every item must satisfy the spec's schema (``WorkflowListItem``, ``BrickworksRecord``,
``CurrentWorkspaceResponse``) exactly as the generated parsers read it.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

__all__ = [
    "current_workspace",
    "event",
    "events",
    "jwt",
    "record",
    "workflow",
]


def current_workspace() -> dict[str, Any]:
    """``GET /uauth/business-profile/current`` (``CurrentWorkspaceResponse``)."""
    return {
        "selected": True,
        "data": {
            "id": 1234,
            "name": "Example Store",
            "logo": "https://upload.snrcdn.net/example-store/logo.png",
            "businessProfileGuid": "ee6a7af7-650d-499b-8e32-58a52ffdb7bc",
            "created": "2019-08-24T14:15:22Z",
            "subdomain": "example-store",
            "ipRestriction": "OFF",
            "mfaRestriction": "OFF",
            "labels": ["production"],
            "emailAttributeName": "email",
            "organizationGuid": "3c1f7d2a-5b6e-4f80-9a1b-2c3d4e5f6a7b",
        },
    }


def workflow(index: int) -> dict[str, Any]:
    """One ``WorkflowListItem`` of ``GET /automation-brain/diagrams`` (all fields set)."""
    uid = f"{index:08x}-8ccc-44c7-b20b-27768816cab7"
    return {
        "diagramId": uid,
        "listingAuthor": {
            "userId": 1000 + index % 50,
            "clientId": 0,
            "clientApiHash": "f2a8c1d0",
            "businessProfileApiHash": "9b1e77aa",
        },
        "name": f"Workflow {index}",
        "created": 1546607838.315 + index,
        "updated": 1546607938.315 + index,
        "status": ("Draft", "Active", "Paused", "Stopped")[index % 4],
        "scheduleStatus": "On",
        "configuration": {
            "capping": {"limit": index % 5, "period": {"type": "Time", "timeSeconds": 3600}},
            "multipleJourneys": False,
        },
        "catalogId": "030a9be3-8ccc-44c7-b20b-27768816cab7",
        "context": "Client",
        "tags": [
            {
                "hash": "030a9be3-8ccc-44c7-b20b-27768816cab7",
                "value": "etl",
                "color": "#0b68ff",
                "description": "loaded nightly",
                "icon": "star",
            }
        ],
        "description": "Sample workflow description",
        "hasTransformation": index % 2 == 0,
        "businessProfileId": 42,
    }


def record(index: int) -> dict[str, Any]:
    """One ``BrickworksRecord`` of the cursor listing (no date-times: cheap to parse)."""
    return {
        "id": f"{index:08x}-2b9d-4c6e-9a41-7d3b2e6f1c08",
        "schemaId": "497f6eca-6276-4993-bfeb-53cbbbba6f08",
        "data": {"headline": "Autumn sale -30%", "position": index % 100, "active": True},
    }


def event(index: int) -> dict[str, Any]:
    """One ``BatchEventItem`` of ``POST /v4/events/batch`` as an ETL job has it (no salt or time)."""
    return {
        "type": "custom",
        "action": "product.buy",
        "label": "Bought a product",
        "client": {"customId": f"customer-{index % 20000}"},
        "params": {"sku": f"SKU-{index % 997:04d}", "price": 19.99 + index % 7, "quantity": 1},
    }


def events(count: int) -> list[dict[str, Any]]:
    return [event(i) for i in range(count)]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(subject: str, issued_at: int, expires_at: int, jti: int) -> str:
    """An unsigned-looking RS512 JWT (the signature is filler: clients do not verify it)."""
    header = _b64(orjson.dumps({"alg": "RS512", "typ": "JWT"}))
    claims = _b64(
        orjson.dumps(
            {"sub": subject, "iat": issued_at, "exp": expires_at, "jti": jti, "origin": "bench"}
        )
    )
    return f"{header}.{claims}.{_b64(b'bench-signature-' + str(jti).encode())}"
