"""Schema builder schemas and records (``assets.yaml``, boxes-v2), kept per fake.

As the schema builder guides describe: a schema is created and replaced whole; a record's
fields are sent as ``{value: ...}`` objects (the spec declares that, so any other value is
the request check's 400 before a handler runs), a record lives in an existing schema (404
otherwise), and an update replaces the record's fields. What was created is listed, page
by page.
"""

from __future__ import annotations

import math
import random
import uuid
import weakref
from typing import Any, Final

from .._state import iso_millis
from ._base import Ctx, handles, not_found

__all__ = ["SchemaBuilderStore", "schema_builder_store"]

WORKSPACE_USER: Final = 5678


class SchemaBuilderStore:
    """Schemas by UUID and, per schema, records by UUID in creation order."""

    def __init__(self, rng: random.Random, *, workspace_id: int) -> None:
        self._rng = rng
        self.workspace_id = workspace_id
        self.schemas: dict[str, dict[str, Any]] = {}
        self.records: dict[str, dict[str, dict[str, Any]]] = {}

    def new_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def add_schema(
        self, name: str, fields: dict[str, Any], tags: list[Any], now: str
    ) -> dict[str, Any]:
        schema_id = self.new_id()
        schema = {
            "schemaId": schema_id,
            "schemaName": name,
            "tags": tags,
            "fields": fields,
            "createdAt": now,
            "modifiedAt": now,
        }
        self.schemas[schema_id] = schema
        self.records[schema_id] = {}
        return schema

    def add_record(self, schema_id: str, fields: dict[str, Any], now: str) -> dict[str, Any]:
        self.schema(schema_id)
        record_id = self.new_id()
        record = {
            "recordId": record_id,
            "schemaId": schema_id,
            "businessProfileId": self.workspace_id,
            "fields": fields,
            "relations": {},
            "createdAt": now,
            "createdBy": WORKSPACE_USER,
            "modifiedAt": now,
            "modifiedBy": WORKSPACE_USER,
            "deletedAt": None,
            "deletedBy": None,
        }
        self.records[schema_id][record_id] = record
        return record

    def schema(self, schema_id: str) -> dict[str, Any]:
        found = self.schemas.get(schema_id)
        if found is None:
            raise not_found("Schema")
        return found

    def record(self, schema_id: str, record_id: str) -> dict[str, Any]:
        self.schema(schema_id)
        found = self.records[schema_id].get(record_id)
        if found is None:
            raise not_found("Record")
        return found


_STORES: weakref.WeakKeyDictionary[Any, SchemaBuilderStore] = weakref.WeakKeyDictionary()


def schema_builder_store(state: Any) -> SchemaBuilderStore:
    """The schema builder store of one fake (empty until schemas are created)."""
    store = _STORES.get(state)
    if store is None:
        store = SchemaBuilderStore(
            random.Random(f"boxes:{state.seed}"), workspace_id=int(state.workspace_id)
        )
        _STORES[state] = store
    return store


def _store(ctx: Ctx) -> SchemaBuilderStore:
    return schema_builder_store(ctx.state)


def _now(ctx: Ctx) -> str:
    return iso_millis(int(ctx.now * 1000))


def _page(ctx: Ctx, items: list[dict[str, Any]]) -> dict[str, Any]:
    page, limit = int(ctx.query.get("page", 1)), int(ctx.query.get("limit", 100))
    start = (page - 1) * limit
    return {
        "data": items[start : start + limit],
        "meta": {
            "page": page,
            "limit": limit,
            "total": len(items),
            "pages": math.ceil(len(items) / limit),
        },
    }


@handles("createSchemaBuilderSchema")
def create_schema(ctx: Ctx) -> Any:
    body = ctx.body
    return _store(ctx).add_schema(
        body["schemaName"], dict(body["fields"]), list(body.get("tags") or []), _now(ctx)
    )


@handles("listSchemaBuilderSchemas", "listSchemaBuilderSchemaProjections")
def list_schemas(ctx: Ctx) -> Any:
    needle = str(ctx.query.get("name", "")).lower()
    schemas = [s for s in _store(ctx).schemas.values() if needle in s["schemaName"].lower()]
    if ctx.op.operation_id == "listSchemaBuilderSchemaProjections":
        schemas = [{"schemaId": s["schemaId"], "schemaName": s["schemaName"]} for s in schemas]
    return _page(ctx, schemas)


@handles("getSchemaBuilderSchema")
def get_schema(ctx: Ctx) -> Any:
    return _store(ctx).schema(str(ctx.path["schemaId"]))


@handles("updateSchemaBuilderSchema")
def replace_schema(ctx: Ctx) -> Any:
    store = _store(ctx)
    schema = store.schema(str(ctx.path["schemaId"]))
    fields = dict(ctx.body["fields"])
    schema.update(
        schemaName=ctx.body["schemaName"],
        tags=list(ctx.body.get("tags") or []),
        fields=fields,
        modifiedAt=_now(ctx),
    )
    # A data field removed from the schema disappears from its records (schema guide).
    for record in store.records[schema["schemaId"]].values():
        record["fields"] = {k: v for k, v in record["fields"].items() if k in fields}
    return schema


@handles("createSchemaRecord")
def create_record(ctx: Ctx) -> Any:
    fields = dict(ctx.body["fields"])
    return _store(ctx).add_record(str(ctx.path["schemaId"]), fields, _now(ctx))


@handles("listSchemaRecords")
def list_records(ctx: Ctx) -> Any:
    store = _store(ctx)
    schema = store.schema(str(ctx.path["schemaId"]))
    return _page(ctx, list(store.records[schema["schemaId"]].values()))


@handles("getSchemaRecord")
def get_record(ctx: Ctx) -> Any:
    return _store(ctx).record(str(ctx.path["schemaId"]), str(ctx.path["recordId"]))


@handles("updateSchemaRecord")
def replace_record(ctx: Ctx) -> Any:
    record = _store(ctx).record(str(ctx.path["schemaId"]), str(ctx.path["recordId"]))
    fields = dict(ctx.body["fields"])
    record.update(fields=fields, modifiedAt=_now(ctx))
    return record
