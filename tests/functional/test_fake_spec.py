"""The fake cannot drift from the spec: examples, every operation, and property-based bodies.

- every request and success-response example in the spec passes the fake's validators;
- every operation answers a documented status to a request built from the spec, with a
  success body that matches its schema (the fake checks its own responses here);
- hypothesis generates bodies from the spec's schemas: valid ones are accepted, broken
  ones get 400 and change nothing;
- the fake's compiled validator agrees with ``jsonschema`` on generated instances.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

import aiohttp
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from synerise_async.testing import FakeSynerise
from synerise_async.testing._handlers.events import TYPED_EVENT_ACTIONS
from synerise_async.testing._schema import SchemaCompiler
from synerise_async.testing._spec import OperationSpec, load_spec
from synerise_async.testing._state import parse_time
from tests.functional.threaded_fake import ThreadedFake

SPEC = load_spec()
DOC = SPEC.document
OPERATIONS = sorted(SPEC.operations.values(), key=lambda op: op.operation_id)


def deref(node: Any) -> Any:
    while isinstance(node, Mapping) and "$ref" in node:
        node = SPEC.compiler.resolve(node["$ref"])
    return node


def request_example(op: OperationSpec) -> Any:
    body = deref(op.raw.get("requestBody")) or {}
    media = (body.get("content") or {}).get("application/json") or {}
    example = media.get("example")
    return example if example is not None else (deref(media.get("schema")) or {}).get("example")


# ---------------------------------------------------------------------- examples


@pytest.mark.parametrize(
    "op",
    [op for op in OPERATIONS if request_example(op) is not None],
    ids=lambda op: op.operation_id,
)
def test_request_examples_pass_the_fakes_validator(op: OperationSpec) -> None:
    """The spec's own request example for the operation is a valid body to the fake."""
    assert op.check_body(request_example(op)) == []


@pytest.mark.parametrize(
    "op",
    [
        op
        for op in OPERATIONS
        if op.success_example is not None and op.success_media == "application/json"
    ],
    ids=lambda op: op.operation_id,
)
def test_success_examples_pass_the_response_validator(op: OperationSpec) -> None:
    """The spec's success example matches the schema the fake checks its own responses against."""
    assert op.check_response(op.success_example) == []


# ---------------------------------------------------------------------- every operation


def sample(schema: Any, depth: int = 0) -> Any:
    """A small valid instance of ``schema`` (required properties only)."""
    schema = deref(schema) or {}
    if "example" in schema and depth > 0:
        return copy.deepcopy(schema["example"])
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("allOf", "oneOf", "anyOf"):
        if key in schema:
            merged: dict[str, Any] = {}
            for part in schema[key][: None if key == "allOf" else 1]:
                value = sample(part, depth + 1)
                if not isinstance(value, dict):
                    return value
                merged.update(value)
            return merged
    kind = schema.get("type", "object")
    if kind == "object":
        props = schema.get("properties") or {}
        out = {
            name: sample(props[name], depth + 1)
            for name in schema.get("required") or ()
            if name in props
        }
        if not out and schema.get("minProperties") and props:
            name = next(iter(props))
            out[name] = sample(props[name], depth + 1)
        return out
    if kind == "array":
        return [sample(schema.get("items"), depth + 1) for _ in range(schema.get("minItems") or 1)]
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return float(schema.get("minimum", 1.5))
    if kind == "boolean":
        return True
    fmt = schema.get("format")
    if fmt == "date-time":
        return "2024-03-18T10:15:30Z"
    if fmt == "date":
        return dt.date.today().isoformat()
    if fmt == "uuid":
        return "07243772-008a-42e1-ba37-c3807cebde8f"
    return "x" * max(schema.get("minLength", 1), 1)


def query_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def path_values(fake: FakeSynerise) -> dict[str, Any]:
    workflow = next(w for w in fake.workflows if w.data.get("hasTransformation"))
    bag_id = next(iter(fake.catalogs.bags))
    item = next(iter(fake.catalogs.items[bag_id].values()))
    profile = next(iter(fake.profiles.by_id.values()))
    return {
        "diagramId": workflow.id,
        "automationWorkflowId": workflow.id,
        "blockId": next(iter(workflow.blocks)),
        "catalogId": bag_id,
        "itemId": item["id"],
        "itemKey": item["itemKey"],
        "clientID": profile["clientId"],
        "clientEmail": profile["email"],
        "customId": profile["customId"],
        "clientCustomID": profile["customId"],
        "identifierType": "by-email",
        "identifierValue": profile["email"],
        "schemaIdentifier": "store-banners",
        "SchemaAppId": "store-banners",
        "indexId": next(iter(fake.search.indices)),
        "businessProfileUUID": fake.workspace_guid,
        "id": fake.workspace_id,
        "tagID": 1021,
        "toClientId": profile["clientId"],
        "fromClientIds": str(profile["clientId"]),
    }


def token_for(fake: FakeSynerise, op: OperationSpec) -> str | None:
    if not op.security:
        return None
    consumers = set(op.consumers)
    if not consumers or consumers & {"Workspace", "Workspace (Business Profile)"}:
        return fake.issue_token("workspace")
    if "Synerise User" in consumers:
        return fake.issue_token("user")
    if "Profile" in consumers:
        return fake.issue_token("profile")
    return fake.issue_token("anonymous")


def with_credentials(fake: FakeSynerise, op: OperationSpec, body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    body = dict(body)
    if "apiKey" in body:
        body["apiKey"] = (
            fake.api_key if op.path.startswith(("/uauth", "/v4")) else fake.profile_api_key
        )
    if "username" in body:
        body.update(username=fake.user_email, password=fake.user_password)
    if op.operation_id == "authenticateUsingPOST_v3":
        body.update(email=fake.profile_email, password=fake.profile_password)
    return body


async def test_every_operation_answers_a_documented_status() -> None:
    """Each of the spec's operations, called as the spec describes, gets a documented status and a valid body."""
    async with (
        FakeSynerise(seed=3, validate_responses=True, catalog_items=3) as fake,
        aiohttp.ClientSession() as http,
    ):
        values = path_values(fake)
        outcomes: dict[str, int] = {}
        ordered = sorted(
            OPERATIONS, key=lambda op: op.method == "DELETE" or "merge" in op.operation_id
        )
        for op in ordered:
            path = op.path
            for name, param in op.path_params.items():
                default: Any = "x" if param.kind == "string" else 1
                path = path.replace("{" + name + "}", str(values.get(name, default)))
            params = {name: query_text(sample(op.query[name].schema)) for name in op.required_query}
            headers = {"Api-Version": op.api_version} if op.api_version else {}
            token = token_for(fake, op)
            if token:
                headers["Authorization"] = f"Bearer {token}"
            kwargs: dict[str, Any] = {"params": params, "headers": headers}
            if op.json_body:
                body = request_example(op)
                if body is None:
                    body = sample(
                        (deref(op.raw["requestBody"])["content"]["application/json"])["schema"]
                    )
                kwargs["json"] = with_credentials(fake, op, body)
            elif "multipart/form-data" in op.body_media:
                form = aiohttp.FormData()
                form.add_field(
                    "file",
                    b"item_key,title\nSKU-9,Hat\n",
                    filename="items.csv",
                    content_type="text/csv",
                )
                kwargs["data"] = form
            async with http.request(op.method, fake.url + path, **kwargs) as resp:
                text = await resp.text()
                outcomes[op.operation_id] = resp.status
                assert resp.status in op.statuses, f"{op.operation_id}: {resp.status} {text[:300]}"
        assert fake.handler_errors == []
    successes = [op_id for op_id, status in outcomes.items() if status < 300]
    assert len(successes) >= len(OPERATIONS) * 0.85, {k: v for k, v in outcomes.items() if v >= 300}


# ---------------------------------------------------------------------- hypothesis: bodies from schemas


def from_schema(schema: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Valid instances of an OpenAPI schema (the subset our spec uses)."""
    schema = deref(schema) or {}
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            part = deref(part)
            merged["properties"].update(part.get("properties") or {})
            merged["required"] += part.get("required") or []
            if "minProperties" in part:
                merged["minProperties"] = part["minProperties"]
        return from_schema(merged, depth)
    if "oneOf" in schema or "anyOf" in schema:
        return st.one_of(
            [from_schema(s, depth + 1) for s in schema.get("oneOf") or schema["anyOf"]]
        )
    base = _typed(schema, depth)
    return st.one_of(st.none(), base) if schema.get("nullable") else base


def _typed(schema: Mapping[str, Any], depth: int) -> st.SearchStrategy[Any]:
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date-time":
            return st.datetimes(
                min_value=dt.datetime(1990, 1, 1),
                max_value=dt.datetime(2090, 1, 1),
                timezones=st.just(dt.UTC),
            ).map(lambda d: d.isoformat().replace("+00:00", "Z"))
        if fmt == "date":
            return st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 1, 1)).map(
                dt.date.isoformat
            )
        if fmt == "uuid":
            return st.uuids().map(str)
        lo, hi = schema.get("minLength", 0), schema.get("maxLength", 12)
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True).filter(
                lambda s: lo <= len(s) <= hi
            )
        return st.text(min_size=lo, max_size=min(hi, 12))
    if kind == "integer":
        return st.integers(
            min_value=schema.get("minimum", -(2**31)), max_value=schema.get("maximum", 2**31)
        )
    if kind == "number":
        return st.floats(
            min_value=schema.get("minimum"),
            max_value=schema.get("maximum"),
            allow_nan=False,
            allow_infinity=False,
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        hi = min(schema.get("maxItems", 3), 3)
        return st.lists(
            from_schema(schema.get("items"), depth + 1),
            min_size=min(schema.get("minItems", 0), hi),
            max_size=hi,
        )
    props: Mapping[str, Any] = schema.get("properties") or {}
    required = [n for n in schema.get("required") or () if n in props]
    optional = (
        {n: from_schema(s, depth + 1) for n, s in props.items() if n not in required}
        if depth < 4
        else {}
    )
    strategy = st.fixed_dictionaries(
        {n: from_schema(props[n], depth + 1) for n in required}, optional=optional
    )
    if schema.get("minProperties"):
        strategy = strategy.filter(lambda d: len(d) >= schema["minProperties"])
    return strategy


@pytest.fixture(scope="module")
def threaded() -> Iterator[ThreadedFake]:
    with ThreadedFake(
        seed=5, validate_responses=True, workflows=5, profiles=5, catalog_items=2
    ) as running:
        yield running


PROPERTY_OPS = [
    "customEvent",
    "batchSendEvents",
    "sendAddedToCartEvent",
    "CreateATransaction",
    "BatchAddOrUpdateTransactions",
    "createAClientInCrm",
    "batchAddOrUpdateClients",
    "addCatalogItem",
    "checkPermissions",
    "createSearchIndex",
]


def body_strategy(op: OperationSpec) -> st.SearchStrategy[Any]:
    schema = deref(op.raw["requestBody"])["content"]["application/json"]["schema"]
    strategy = from_schema(schema)
    if op.operation_id == "batchSendEvents":
        # Documented rules beyond the schema: `type` names a known kind; custom events need `action`.
        kinds = st.sampled_from(
            ["custom", *(slug.replace("/", "-") for slug in TYPED_EVENT_ACTIONS)]
        )
        strategy = st.tuples(strategy, st.lists(kinds, min_size=3, max_size=3)).map(
            lambda pair: [
                {
                    **item,
                    "type": kind,
                    **({"action": item.get("action") or "x"} if kind == "custom" else {}),
                }
                for item, kind in zip(pair[0], pair[1] * 3, strict=False)
            ]
        )
    return strategy


def op_path(running: ThreadedFake, op: OperationSpec) -> str:
    path = op.path
    if "{catalogId}" in path:
        path = path.replace("{catalogId}", str(next(iter(running.fake.catalogs.bags))))
    return path


@pytest.mark.parametrize("operation_id", PROPERTY_OPS)
def test_fake_accepts_every_valid_body(threaded: ThreadedFake, operation_id: str) -> None:
    """Bodies generated from the operation's schema are all accepted with the documented success status."""
    op = SPEC.operations[operation_id]

    @settings(
        max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(body=body_strategy(op))
    def check(body: Any) -> None:
        status = threaded.post(op, op_path(threaded, op), body)
        assert status == op.success_status, body

    check()
    assert threaded.fake.handler_errors == []


def _break(body: Any, schema: Any, data: st.DataObject) -> Any:
    """Make one change the schema forbids: drop a required field or give a field a wrong type."""
    schema = deref(schema)
    if isinstance(body, list):
        if not body:
            return {"not": "an array"}
        index = data.draw(st.integers(0, len(body) - 1))
        broken = list(body)
        broken[index] = _break(body[index], schema["items"], data)
        return broken
    if "allOf" in schema:
        required = [n for part in schema["allOf"] for n in deref(part).get("required") or ()]
    else:
        required = list(schema.get("required") or ())
    if required and data.draw(st.booleans()):
        victim = data.draw(st.sampled_from(required))
        return {k: v for k, v in body.items() if k != victim}
    return [body] if not required else {**body, required[0]: [[]]}


@pytest.mark.parametrize(
    "operation_id", ["customEvent", "batchSendEvents", "CreateATransaction", "addCatalogItem"]
)
def test_fake_rejects_broken_bodies_and_stores_nothing(
    threaded: ThreadedFake, operation_id: str
) -> None:
    """A valid body with one required field dropped or mistyped gets 400 and leaves the stores unchanged."""
    op = SPEC.operations[operation_id]
    schema = deref(op.raw["requestBody"])["content"]["application/json"]["schema"]

    @settings(
        max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(body=body_strategy(op), data=st.data())
    def check(body: Any, data: st.DataObject) -> None:
        broken = _break(body, schema, data)
        fake = threaded.fake
        before = (len(fake.events), len(fake.transactions), fake.stats.events_received)
        assert threaded.post(op, op_path(threaded, op), broken) == 400
        assert (len(fake.events), len(fake.transactions), fake.stats.events_received) == before

    check()


# ---------------------------------------------------------------------- validator vs jsonschema


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema draft 4 (nullable becomes a null alternative)."""
    if isinstance(node, list):
        return [to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {
        k: to_json_schema(v)
        for k, v in node.items()
        if not k.startswith("x-")
        and k not in ("example", "nullable", "discriminator", "readOnly", "writeOnly", "deprecated")
    }
    if node.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker(formats=())

    @checker.checks("date-time")
    def date_time(value: object) -> bool:
        return not isinstance(value, str) or (
            len(value) >= 19 and value[10] in "Tt " and parse_time(value) is not None
        )

    @checker.checks("date")
    def date(value: object) -> bool:
        if not isinstance(value, str):
            return True
        try:
            return len(value) == 10 and bool(dt.date.fromisoformat(value))
        except ValueError:
            return False

    @checker.checks("uuid")
    def uuid_(value: object) -> bool:
        import uuid

        if not isinstance(value, str):
            return True
        try:
            return len(value) == 36 and bool(uuid.UUID(value))
        except ValueError:
            return False

    return checker


_CONVERTED = {"components": to_json_schema(DOC["components"])}
_REGISTRY = Registry().with_resource(
    "urn:spec", Resource.from_contents(_CONVERTED, default_specification=DRAFT4)
)
_CHECKER = _format_checker()
AGREEMENT_SCHEMAS = [
    "CustomEventRequest",
    "EventBatchRequest",
    "TransactionCreateRequest",
    "ProfileCreateRequest",
    "CatalogItemCreateRequest",
    "WorkflowListResponse",
    "BrickworksRecordPage",
]


@pytest.mark.parametrize("name", AGREEMENT_SCHEMAS)
def test_compiled_validator_agrees_with_jsonschema(name: str) -> None:
    """On valid and mutated instances, the fake's fast validator and jsonschema give the same verdict."""
    schema = {"$ref": f"#/components/schemas/{name}"}
    direction = "response" if name.endswith(("Response", "Page")) else "request"
    fast = SchemaCompiler(DOC).compile(schema, direction)
    reference = jsonschema.Draft4Validator(
        {"$ref": f"urn:spec#/components/schemas/{name}"},
        registry=_REGISTRY,
        format_checker=_CHECKER,
    )
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-5, 5),
        st.text(max_size=3),
        st.just("2024-01-01T00:00:00Z"),
    )

    @settings(
        max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(instance=from_schema(schema), data=st.data())
    def check(instance: Any, data: st.DataObject) -> None:
        if data.draw(st.booleans()):
            instance = _mutate(instance, data, leaves)
        problems: list[Any] = []
        fast(instance, None, problems)
        assert (not problems) == reference.is_valid(instance), (instance, problems)

    check()


def _mutate(value: Any, data: st.DataObject, leaves: st.SearchStrategy[Any]) -> Any:
    if isinstance(value, dict) and value and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(value)))
        action = data.draw(st.sampled_from(["drop", "replace", "recurse"]))
        if action == "drop":
            return {k: v for k, v in value.items() if k != key}
        if action == "replace":
            return {**value, key: data.draw(leaves)}
        return {**value, key: _mutate(value[key], data, leaves)}
    if isinstance(value, list) and value and data.draw(st.booleans()):
        index = data.draw(st.integers(0, len(value) - 1))
        return [*value[:index], _mutate(value[index], data, leaves), *value[index + 1 :]]
    return data.draw(leaves)
