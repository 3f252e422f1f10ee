"""Brickworks schemas and the cursor-paginated record listing (``brickworks.yaml``).

Page tokens are opaque to the client: base64 of the schema id and an offset. A token
from another schema or a tampered one is a 400, as a real cursor API answers.
"""

from __future__ import annotations

import base64
import binascii
import math
import random
import uuid
from typing import Any, Final

from .._schema import Problem
from .._state import iso_millis
from ._base import ApiError, Ctx, handles, not_found

DEFAULT_LIMIT: Final = 50


class BrickworksStore:
    """Seeded schemas and their records (records in creation order)."""

    def __init__(self, records: int, rng: random.Random, *, now_ms: int) -> None:
        self.schemas: dict[str, dict[str, Any]] = {}
        self.records: dict[str, list[dict[str, Any]]] = {}
        for app_id, name, count in (
            ("store-banners", "Store banners", records),
            ("faq-entries", "FAQ entries", min(records, 7)),
        ):
            schema_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            stamp = iso_millis(now_ms - 86_400_000 * 30)
            self.schemas[schema_id] = {
                "id": schema_id,
                "appId": app_id,
                "displayName": name,
                "description": f"Seeded schema {name}",
                "fields": {
                    "headline": {"type": "text", "required": True},
                    "imageUrl": {"type": "url"},
                },
                "displayConfiguration": {"titleField": "headline"},
                "createdBy": {"id": 1234, "type": "USER"},
                "updatedBy": {"id": 1234, "type": "USER"},
                "publishedBy": 1234,
                "deletedBy": None,
                "createdAt": stamp,
                "updatedAt": stamp,
                "publishedAt": stamp,
                "deletedAt": None,
            }
            self.records[schema_id] = [
                {
                    "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "schemaId": schema_id,
                    "createdAt": iso_millis(now_ms - 60_000 * (count - n)),
                    "updatedAt": iso_millis(now_ms - 60_000 * (count - n)),
                    "data": {
                        "headline": f"{name} #{n + 1}",
                        "imageUrl": f"https://example.com/img/{n + 1}.jpg",
                    },
                }
                for n in range(count)
            ]

    def schema(self, identifier: str) -> dict[str, Any]:
        found = self.schemas.get(identifier.lower())
        if found is None:
            found = next((s for s in self.schemas.values() if s["appId"] == identifier), None)
        if found is None:
            raise not_found("Schema")
        return found


def encode_token(schema_id: str, offset: int) -> str:
    raw = f"{schema_id}:{offset}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(schema_id: str, token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        owner, _, offset = raw.rpartition(":")
        value = int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        value, owner = -1, ""
    if owner != schema_id or value < 0:
        raise ApiError(
            400,
            "pageToken: invalid page token",
            [Problem("pageToken", "is not a valid page token", token)],
        )
    return value


def _store(ctx: Ctx) -> BrickworksStore:
    return ctx.state.brickworks


@handles("getSchemas")
def list_schemas(ctx: Ctx) -> Any:
    schemas = list(_store(ctx).schemas.values())
    if "search" in ctx.query:
        needle = str(ctx.query["search"]).lower()
        schemas = [s for s in schemas if needle in s["displayName"].lower() or needle in s["appId"]]
    if "schemaTypes" in ctx.query and ctx.query["schemaTypes"] != "SIMPLE":
        schemas = []
    page, limit = int(ctx.query.get("page", 1)), int(ctx.query.get("limit", 50))
    # A page of no schemas for a limit below 1 (a document without the spec's minimum).
    start = (page - 1) * max(limit, 0)
    return {
        "meta": {
            "page": page,
            "limit": limit,
            "pages": math.ceil(len(schemas) / limit) if limit > 0 else 0,
            "total": len(schemas),
        },
        "data": schemas[start : start + limit] if limit > 0 else [],
    }


@handles("getSchemaByAppId")
def get_schema(ctx: Ctx) -> Any:
    return _store(ctx).schema(str(ctx.path["SchemaAppId"]))


@handles("listBrickworksRecords")
def list_records(ctx: Ctx) -> Any:
    store = _store(ctx)
    schema = store.schema(str(ctx.path["schemaIdentifier"]))
    records = store.records[schema["id"]]
    limit = int(ctx.query.get("limit", DEFAULT_LIMIT))
    if limit < 1:
        raise ApiError(
            400, "limit: must be at least 1", [Problem("limit", "must be at least 1", limit)]
        )
    offset = decode_token(schema["id"], ctx.query["pageToken"]) if "pageToken" in ctx.query else 0
    end = offset + limit
    return {
        "data": records[offset:end],
        "nextPageToken": encode_token(schema["id"], end) if end < len(records) else None,
        "previousPageToken": encode_token(schema["id"], max(0, offset - limit))
        if offset > 0
        else None,
    }
