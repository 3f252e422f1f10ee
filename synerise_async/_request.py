"""Preparing one request: everything decided once, before the first attempt.

:func:`prepare` turns an operation and its :class:`~synerise_async._transport.RequestParts`
into an immutable :class:`PreparedRequest`: parameter types checked, the URL filled in, the
query encoded, the headers merged, the body encoded and checked against the documented
limits, and whether the request is safe to send twice decided. The retry loop then only
attaches a credential per attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, NamedTuple
from urllib.parse import quote

import aiohttp
import attrs
import orjson

from ._encoding import SECRET_PARAMS, encode_query, redact_url
from ._errors import ConfigurationError
from ._transport import Operation, RequestOptions, RequestParts

__all__ = ["IDEMPOTENT_METHODS", "FormBody", "PreparedRequest", "prepare"]

IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@attrs.frozen(slots=True)
class FormBody:
    """A multipart body kept as fields, so each attempt gets a fresh ``aiohttp.FormData``
    (a FormData can be sent only once, and a retry must resend the same bytes)."""

    fields: tuple[tuple[str, bytes | str, str | None, str | None], ...]

    @classmethod
    def from_parts(cls, parts: RequestParts) -> FormBody:
        fields: list[tuple[str, bytes | str, str | None, str | None]] = [
            (name, str(value), None, None) for name, value in (parts.data or {}).items()
        ]
        for name, file in parts.files or ():
            filename, payload, content_type = file[0], file[1], file[2]
            if hasattr(payload, "read"):
                payload = payload.read()
            fields.append((name, payload, filename, content_type))
        return cls(tuple(fields))

    def build(self) -> aiohttp.FormData:
        form = aiohttp.FormData()
        for name, value, filename, content_type in self.fields:
            form.add_field(name, value, filename=filename, content_type=content_type)
        return form


class PreparedRequest(NamedTuple):
    """One request ready to send, as many times as the retry policy allows.

    A named tuple, so it cannot change between attempts and costs little to build (one per
    call, on the hot path; a frozen attrs class is about 4x slower to construct).
    """

    operation: Operation
    method: str
    url: str
    """Absolute URL without the query."""
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    """Every header but ``Authorization``, which is attached per attempt."""
    body: bytes | FormBody | None
    repeat_safe: bool
    """Whether sending it twice cannot apply it twice (idempotent method, or an operation
    documented as safe, or events that all carry an ``eventSalt``)."""
    authenticate: bool
    """Whether an attempt attaches the client's credential."""

    @property
    def redacted_url(self) -> str:
        """The full URL with secret query values masked, for logs and errors."""
        return redact_url(self.url, self.query)


def prepare(
    operation: Operation,
    parts: RequestParts,
    *,
    base_url: str,
    headers: Mapping[str, str],
    options: RequestOptions | None = None,
    tracker_key: str | None = None,
    authenticate: bool = True,
) -> PreparedRequest:
    """Check, encode and freeze one request (see the module docstring).

    ``headers`` are the client's; ``tracker_key``, when given, is sent as ``?token=`` and
    replaces the credential.
    """
    method = parts.method.upper()
    path = parts.url
    if parts.path_params:
        path = _fill_path(operation, path, parts.path_params)
    if parts.query is not None:
        # Pre-encoded pairs from a server-provided next link: sent as given.
        query = list(parts.query)
    else:
        params = parts.params
        if params:
            if operation.query_types:
                _check_types(operation, "query", operation.query_types, params)
            query = encode_query(params)
        else:
            query = []
    if options is not None and options.extra_query:
        # Like Stainless: an extra parameter replaces an operation parameter of that name.
        extra = encode_query(options.extra_query)
        replaced = {name for name, _ in extra}
        query = [pair for pair in query if pair[0] not in replaced] + extra
    has_body = not (
        parts.json is None and parts.content is None and parts.files is None and parts.data is None
    )
    extra_headers = options.extra_headers if options is not None else None
    if (
        has_body
        or parts.headers
        or extra_headers
        or operation.accept is not None
        or operation.api_version is not None
    ):
        built = _merged_headers(operation, parts, headers)
        body = _encode_body(operation, parts, built) if has_body else None
        if extra_headers:
            built.update(extra_headers)  # last: the caller's word wins, Content-Type included
        merged: Mapping[str, str] = built
    else:
        # Nothing to add: the client's own headers object, which lets the client reuse the
        # headers it last built with the same token (see SyneriseClient._authorize_now).
        merged, body = headers, None
    if tracker_key is not None:
        query.append(("token", tracker_key))
        authenticate = False
    return PreparedRequest(
        operation,
        method,
        base_url + path,
        tuple(query),
        merged,
        body,
        _repeat_safe(operation, method, parts),
        authenticate,
    )


def _merged_headers(
    operation: Operation, parts: RequestParts, headers: Mapping[str, str]
) -> dict[str, str]:
    merged = dict(headers)
    if operation.accept is not None:
        merged["Accept"] = operation.accept
    if parts.headers:
        merged.update({k: str(v) for k, v in parts.headers.items()})
    if operation.api_version is not None:
        merged["Api-Version"] = operation.api_version
    return merged


def _fill_path(operation: Operation, template: str, values: Mapping[str, Any]) -> str:
    if operation.path_types:
        _check_types(operation, "path", operation.path_types, values)
    return template.format_map({k: quote(str(v), safe="") for k, v in values.items()})


def _encode_body(
    operation: Operation, parts: RequestParts, headers: dict[str, str]
) -> bytes | FormBody | None:
    payload = parts.json
    if payload is not None:
        headers["Content-Type"] = "application/json"
        limit = operation.max_items
        if limit is not None and isinstance(payload, list) and len(payload) > limit:
            raise ConfigurationError(
                f"{operation.operation_id}: {len(payload)} items exceed the documented maximum "
                f"of {limit} per request; split them (client.events.send_many does this for events)"
            )
        try:
            body = orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS)
        except TypeError as exc:
            raise ConfigurationError(
                f"{operation.operation_id}: request body is not JSON-serialisable: {exc}"
            ) from exc
    elif parts.content is not None:
        content = parts.content
        body = content.encode() if isinstance(content, str) else bytes(content)
    elif parts.files is not None or parts.data is not None:
        headers.pop("Content-Type", None)  # aiohttp writes the multipart boundary itself
        return FormBody.from_parts(parts)
    else:
        return None
    size_limit = operation.max_body_bytes
    if size_limit is not None and len(body) > size_limit:
        raise ConfigurationError(
            f"{operation.operation_id}: request body of {len(body)} bytes exceeds the documented "
            f"limit of {size_limit} bytes"
        )
    return body


def _repeat_safe(operation: Operation, method: str, parts: RequestParts) -> bool:
    if method in IDEMPOTENT_METHODS or operation.retry == "safe":
        return True
    if operation.retry == "event-salt":
        return parts.all_salted or _all_salted(parts.json)
    return False


def _all_salted(body: Any) -> bool:
    """True when every event in a JSON body carries an ``eventSalt`` (overwrite, not duplicate)."""
    if isinstance(body, dict):
        return bool(body.get("eventSalt"))
    if isinstance(body, list) and body:
        return all(isinstance(item, dict) and bool(item.get("eventSalt")) for item in body)
    return False


_TYPE_CHECKS: Final[dict[str, Callable[[Any], bool]]] = {
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list | tuple),
    "object": lambda v: isinstance(v, Mapping),
}


def _check_types(
    operation: Operation, where: str, types: Mapping[str, str], values: Mapping[str, Any]
) -> None:
    """Refuse, before sending, parameter values whose type the spec does not allow."""
    for name, value in values.items():
        expected = types.get(name)
        check = _TYPE_CHECKS.get(expected) if expected else None
        if check is not None and value is not None and not check(value):
            if name.lower() in SECRET_PARAMS:
                shown = "***"
            else:
                shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:39] + "…"
            raise ConfigurationError(
                f"{operation.operation_id}: {where} parameter {name!r} must be {expected}, "
                f"got {type(value).__name__} {shown}"
            )
