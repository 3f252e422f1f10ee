"""The operations of the new spec areas, called through the generated functions against the fake."""

from __future__ import annotations

import collections.abc
import enum
import functools
import inspect
import json
import sys
import types
import typing
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml

from synerise_async import SyneriseClient, TokenAuth
from synerise_async.api import load
from synerise_async.testing import FakeSynerise
from synerise_async.testing._handlers.assets import schema_builder_store
from synerise_async.testing._handlers.loyalty import loyalty_store
from synerise_async.types import Unset

from .conftest import client_for

DOCUMENTS = Path(__file__).resolve().parents[2] / "openapi" / "documents"
SPEC_FILE = Path(__file__).resolve().parents[2] / "synerise_async" / "api" / "openapi.json"
NEW_DOCUMENTS = (
    "analytics.yaml",
    "assets.yaml",
    "authorization-extras.yaml",
    "data-extras.yaml",
    "loyalty.yaml",
    "profile-account.yaml",
    "recommendation-campaigns.yaml",
)
METHODS = ("get", "put", "post", "delete", "patch")


def new_operations() -> list[tuple[str, list[str]]]:
    """(generated operationId, consumers) of every operation in the new documents.

    The id is read from the shipped normalised spec: the normaliser respells published ids
    that are not identifiers (``analytics2-aggregate-calculate``)."""
    shipped = json.loads(SPEC_FILE.read_text(encoding="utf-8"))["paths"]
    found = []
    for name in NEW_DOCUMENTS:
        doc = yaml.safe_load((DOCUMENTS / name).read_text(encoding="utf-8"))
        for path, item in doc["paths"].items():
            for method, op in item.items():
                if method in METHODS:
                    generated = shipped[path][method]["operationId"]
                    found.append((generated, op.get("x-synerise-consumers") or []))
    return found


NEW_OPERATIONS = new_operations()
# Operations whose handler keeps state: called with identifiers the fake actually holds, and
# run after the calls that create what they read.
LAST = {"RedeemAVoucher", "deletePromotion", "BatchRedeemVouchersForProfile"}


def _value_for(annotation: Any, name: str, known: dict[str, Any]) -> Any:
    """A valid argument for one generated parameter or field (``known`` first, else its type)."""
    options = [a for a in typing.get_args(annotation) if a not in (Unset, type(None))]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and options:
        return _value_for(options[0], name, known)
    if name in known:
        value = known[name]
        if inspect.isclass(annotation) and issubclass(annotation, enum.Enum):
            return annotation(value)
        return value
    if typing.get_origin(annotation) in (list, collections.abc.Sequence):
        return [_value_for(typing.get_args(annotation)[0], name, known)]
    if inspect.isclass(annotation) and issubclass(annotation, enum.Enum):
        return next(iter(annotation))
    if annotation is bool:
        return True
    if annotation is int:
        return 1
    if annotation is float:
        return 1.0
    if annotation in (str, Any):
        return "x"
    if attrs.has(annotation):
        return _model_sample(annotation, known)
    raise AssertionError(f"no sample for {name}: {annotation!r}")


@functools.cache
def _model_namespace() -> dict[str, Any]:
    """Every generated model by name, to resolve the models' deferred annotations."""
    import synerise_async.models as models

    return {name: getattr(models, name) for name in models.__all__}


def _model_sample(model: type, known: dict[str, Any]) -> Any:
    """An instance of a generated model with every required field filled in."""
    namespace = {**vars(sys.modules[model.__module__]), **_model_namespace()}
    hints = typing.get_type_hints(model, globalns=namespace)
    required = {
        field.name: _value_for(hints[field.name], field.name, known)
        for field in attrs.fields(model)
        if field.default is attrs.NOTHING
    }
    return model(**required)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSynerise]:
    async with FakeSynerise(seed=5, validate_responses=True) as server:
        yield server
    assert server.handler_errors == []


def _client(fake: FakeSynerise, consumers: list[str]) -> SyneriseClient:
    if not consumers or {"Workspace (Business Profile)", "Synerise User"} & set(consumers):
        return client_for(fake)
    if "Profile" in consumers:
        return client_for(fake, TokenAuth(token=fake.issue_token("profile")))
    if "Web SDK Tracker" in consumers:
        return client_for(fake)
    return client_for(fake, TokenAuth(token=fake.issue_token("anonymous")))


async def test_every_new_operation_answers_2xx_with_a_parsed_result(fake: FakeSynerise) -> None:
    """Each operation of the new documents, called via its generated function, gets a 2xx it parses."""
    store = loyalty_store(fake.state)
    pool = next(iter(store.pools))
    voucher = next(iter(store.vouchers.values()))
    promotion = next(iter(store.promotions.values()))
    boxes = schema_builder_store(fake.state)
    schema = boxes.add_schema("Stores", {"title": {"type": "TEXT"}}, [], "2024-03-18T10:15:30Z")
    record = boxes.add_record(schema["schemaId"], {"title": {"value": "A"}}, "2024-03-18T10:15:30Z")
    known: dict[str, Any] = {
        "schema_id": schema["schemaId"],
        "record_id": record["recordId"],
        "pool_uuid": pool,
        "handbill_uuid": "h-1",
        "uuid": promotion["uuid"],
        "client_id": 1,
        "catalog_id": next(iter(fake.catalogs.bags)),
    }
    assert len(NEW_OPERATIONS) >= 110
    ordered = sorted(NEW_OPERATIONS, key=lambda item: item[0] in LAST)
    statuses: dict[str, int] = {}
    for operation_id, consumers in ordered:
        module = load(operation_id)
        signature = inspect.signature(module.asyncio_detailed)
        hints = typing.get_type_hints(module.asyncio_detailed)
        per_call = dict(known, search_key="code", key="code", value=promotion["code"])
        if "Voucher" in operation_id:
            per_call.update(search_value=voucher["code"], code=voucher["code"])
        else:
            per_call.update(search_value=promotion["code"], code=promotion["code"])
        args: dict[str, Any] = {}
        for name, param in signature.parameters.items():
            if name == "client" or (
                param.default is not inspect.Parameter.empty and name != "body"
            ):
                continue
            args[name] = _value_for(hints[name], name, per_call)
        if operation_id == "BatchRedeemVouchersForProfile":
            item = type(args["body"][0])
            args["body"] = [
                item.from_dict(
                    {
                        "profileKey": "uuid",
                        "profileValue": "u-1",
                        "voucherKey": "code",
                        "voucherValue": list(store.vouchers.values())[1]["code"],
                    }
                )
            ]
        async with _client(fake, consumers) as client:
            response = await module.asyncio_detailed(client=client, **args)
        statuses[operation_id] = response.status_code
        assert 200 <= response.status_code < 300, operation_id
    assert set(statuses) == {op for op, _ in NEW_OPERATIONS}
