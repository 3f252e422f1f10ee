"""The fake under a property-based fuzzer of the whole spec (schemathesis), seeded and bounded.

Every operation gets requests generated from the spec, valid ones (positive mode) and
ones that break it (negative mode), sent to a real FakeSynerise on 127.0.0.1 with valid
credentials. For every answer: no 5xx, a documented status and content type, a body
that validates against the documented response (error bodies against ErrorResponse);
valid input is accepted (a 4xx on it must be one the spec explains) and invalid input
rejected. Runs are derandomized (the same requests every run) and capped at a few
examples per operation, so the whole fuzz fits in ``make test``.

Credentials are not fuzzed here (``with_security_parameters=False``); missing, bad and
foreign credentials have their own exhaustive tests below, as do unsupported methods.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi import checks as openapi_checks

from synerise_async.testing import FakeSynerise
from synerise_async.testing._spec import OperationSpec, load_spec
from tests.functional.threaded_fake import ThreadedFake

SPEC = load_spec()
BY_ROUTE = {(op.method, op.path): op for op in SPEC.operations.values()}
SCHEMA = schemathesis.openapi.from_dict(orjson.loads(orjson.dumps(SPEC.document)))
SCHEMA.config.generation.update(with_security_parameters=False)
API_OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]

EXAMPLES = {GenerationMode.POSITIVE: 4, GenerationMode.NEGATIVE: 3}
"""Examples per operation and mode: ~1050 requests in all, well under a minute."""

CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]

DOCUMENTED_RULES: dict[str, tuple[str, ...]] = {
    # Rules the spec states in words because a schema cannot: a 400 naming only these
    # fields is a correct answer to schema-valid input.
    "batchSendEvents": ("action",),  # "custom ... (then `action` is required)"
    "listBrickworksRecords": ("pageToken",),  # a token from a previous response only
    "generateDailyNewDataPointsStats": ("to",),  # "not before `from`, at most 366 days"
    "generateDailyRetentionDataPointsStats": ("to",),
}


@pytest.fixture(scope="module")
def running() -> Iterator[ThreadedFake]:
    with ThreadedFake(
        seed=11, validate_responses=True, workflows=5, profiles=5, catalog_items=2
    ) as threaded:
        yield threaded
    assert threaded.fake.handler_errors == []


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def spec_op(operation: Any) -> OperationSpec:
    return BY_ROUTE[(operation.method.upper(), operation.path)]


def consumer_kind(op: OperationSpec) -> str:
    """The kind of token a documented consumer of ``op`` holds."""
    consumers = set(op.consumers)
    if not consumers or consumers & {"Workspace", "Workspace (Business Profile)"}:
        return "workspace"
    if "Synerise User" in consumers:
        return "user"
    if "Profile" in consumers:
        return "profile"
    return "anonymous"


def credentials(fake: FakeSynerise, op: OperationSpec) -> tuple[dict[str, str], dict[str, str]]:
    """Headers and query a well-behaved client sends: ``Api-Version`` where needed and
    valid credentials, spread over the three schemes: the tracker key where accepted,
    Basic for every other workspace operation that takes it, a JWT of a documented
    consumer elsewhere."""
    headers = {"Api-Version": op.api_version} if op.api_version else {}
    kind = consumer_kind(op)
    if not op.security:
        return headers, {}
    if "TrackerKey" in op.security:
        return headers, {"token": fake.tracker_key}
    if "Basic" in op.security and kind == "workspace" and zlib.crc32(op.operation_id.encode()) % 2:
        pair = f"{fake.workspace_guid}:{fake.api_key}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    else:
        headers["Authorization"] = f"Bearer {fake.issue_token(kind)}"
    return headers, {}


def explained_by_documented_rule(op: OperationSpec, response: requests.Response) -> bool:
    """A 400 whose problems all name fields of a rule the operation's spec states in words."""
    fields = DOCUMENTED_RULES.get(op.operation_id)
    if not fields or response.status_code != 400:
        return False
    problems = response.json().get("errors") or []
    return bool(problems) and all(
        str(p.get("field", "")).rsplit(".", 1)[-1] in fields for p in problems
    )


def fuzz(
    running: ThreadedFake, http: requests.Session, operation: Any, mode: GenerationMode
) -> None:
    op = spec_op(operation)
    fake = running.fake
    headers, query = credentials(fake, op)

    @settings(
        max_examples=EXAMPLES[mode],
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Any) -> None:
        response = case.call(base_url=fake.url, session=http, headers=headers, params=query)
        checks = list(CHECKS)
        if mode is GenerationMode.NEGATIVE:
            checks.append(openapi_checks.negative_data_rejection)
        elif not explained_by_documented_rule(op, response):
            checks.append(openapi_checks.positive_data_acceptance)
        case.validate_response(response, checks=checks, headers=headers)

    check()


@pytest.mark.parametrize("operation", API_OPERATIONS, ids=lambda o: spec_op(o).operation_id)
def test_spec_valid_requests_are_served_within_the_spec(
    running: ThreadedFake, http: requests.Session, operation: Any
) -> None:
    """Requests generated from the spec are accepted, and every answer is one the spec documents."""
    fuzz(running, http, operation, GenerationMode.POSITIVE)


def can_be_broken(op: OperationSpec) -> bool:
    """Whether some request to ``op`` violates the spec other than by its path text.

    Any text is a valid unconstrained string, so an operation whose only inputs are such
    strings in the path has no invalid request to generate (hypothesis would spend
    seconds proving it).
    """
    if op.body_media:
        return True
    params = [*op.query.values(), *(p for p in op.path_params.values() if p.kind != "string")]
    return bool(params) or any(len(deref(p.schema)) > 1 for p in op.path_params.values())


def deref(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = SPEC.compiler.resolve(node["$ref"])
    return node or {}


BREAKABLE = [o for o in API_OPERATIONS if can_be_broken(spec_op(o))]


@pytest.mark.parametrize("operation", BREAKABLE, ids=lambda o: spec_op(o).operation_id)
def test_spec_violating_requests_are_rejected_within_the_spec(
    running: ThreadedFake, http: requests.Session, operation: Any
) -> None:
    """Requests that break the spec get a documented 4xx with an ErrorResponse body, never a 5xx."""
    try:
        fuzz(running, http, operation, GenerationMode.NEGATIVE)
    except Unsatisfiable:
        pytest.skip("the spec leaves nothing in this operation's requests to break")
