"""Pre-flight pass: fix what openapi-python-client 0.29.1 mishandles, fail on the rest.

Every pass takes the merged document, changes it in place, records each change in the
report and appends problems it cannot fix to ``problems``. ``run_preflight`` runs them
all and raises one CodegenError listing every problem. The numbers in the comments refer
to the failure modes in CODEGEN-NOTES.md.
"""

from __future__ import annotations

import copy
import math
import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from openapi_python_client import strings as gen_strings

from .documents import Document
from .errors import CodegenError
from .merge import apply_global_security
from .spec import Report, iter_operations, iter_refs, operation_label, walk_schemas

__all__ = ["PAGE_PARAMS", "RESERVED_CLASS_NAMES", "run_preflight"]

Problems = list[str]
Pass = Callable[[Document, Report, Problems], None]

# The generator's prefix for identifiers that would otherwise be invalid (config default).
FIELD_PREFIX = "field_"

# Class names the generated modules already use for their own imports and helpers: a
# schema with one of these names would shadow them (item 6, upstream #1045/#1423/#1081).
RESERVED_CLASS_NAMES = frozenset(
    {
        "Any", "AuthenticatedClient", "BinaryIO", "BytesIO", "Client", "Error", "Errors",
        "File", "FileTypes", "Generator", "Literal", "Mapping", "OpenIntEnum", "OpenStrEnum",
        "Operation", "Pagination", "RawResponse", "Response", "Self", "T", "TextIO",
        "Transport", "TypeVar", "Types", "UUID", "UnexpectedStatus", "Unset",
    }
)  # fmt: skip
RENAME_SUFFIX = "Model"

# Query parameters that count or select pages: the generator would make `type: number`
# ones floats and send `page=1.0` (item 11).
PAGE_PARAMS = frozenset({"page", "limit", "offset", "pagesize", "pageindex"})

PAGINATION_STYLES = {
    "page": ("page_param", "size_param"),
    "page-index": ("page_param", "size_param"),
    "offset": ("page_param", "size_param"),
    "link": (),
    "cursor": ("page_param",),
}


def pascal(value: str) -> str:
    """PascalCase exactly as the generator spells class names."""
    return gen_strings.pascal_case(value)


def class_name(value: str) -> str:
    """The class name the generator derives from a schema name."""
    return str(gen_strings.ClassName(value, FIELD_PREFIX))


def python_name(value: str) -> str:
    """The identifier the generator derives from an operationId or parameter name."""
    return str(gen_strings.PythonIdentifier(value, FIELD_PREFIX))


def run_preflight(doc: Document, report: Report) -> None:
    """Run every pass in order; raise CodegenError listing all unfixable problems."""
    problems: Problems = []
    for pass_ in PASSES:
        pass_(doc, report, problems)
        if problems and pass_ in _BLOCKING:
            break  # later passes assume resolvable refs and unique operation ids
    if problems:
        raise CodegenError(
            f"The spec has {len(problems)} problem(s) the generator cannot handle "
            "(fix the document or add an overlay in openapi/overlays/):",
            problems,
        )


# --- checks -------------------------------------------------------------------------


def check_local_refs(doc: Document, report: Report, problems: Problems) -> None:
    """Every ``$ref`` must be local and resolve (external ones were inlined per document)."""
    for _holder, ref in iter_refs(doc):
        if not ref.startswith("#/"):
            problems.append(f"$ref {ref!r} is not local after resolving external references")
        elif _resolve_pointer(doc, ref) is None:
            problems.append(f"$ref {ref!r} does not resolve")


def fix_operation_ids(doc: Document, report: Report, problems: Problems) -> None:
    """Name operations without an operationId; spell odd ones as identifiers (items 1, 2).

    A missing operationId becomes ``<method><PathWords>`` (``GET /a/{id}`` ->
    ``getAById``), deterministic but tied to the path: the report says it needs a human
    decision (pin the name with an overlay). An operationId with characters that are not
    letters or digits is respelled in camelCase from its words (``get-thing.v2`` ->
    ``getThingV2``; one starting with a digit gets the method in front), because the
    generator would silently merge words (``odd/dots`` -> ``odddots``). The original is
    kept as ``x-synerise-original-operation-id``.
    """
    taken = {
        op["operationId"]
        for _p, _m, op in iter_operations(doc)
        if isinstance(op.get("operationId"), str)
    }
    for path, method, operation in iter_operations(doc):
        op_id = operation.get("operationId")
        if not isinstance(op_id, str) or not op_id:
            name = _free_operation_id(_operation_id_from_path(method, path), taken)
            operation["operationId"] = name
            report.fixed(
                f"NEEDS A DECISION: {method.upper()} {path} has no operationId; named it {name!r} "
                "from its method and path (pin a name with an overlay: it is the function's name)"
            )
        elif not _CLEAN_OPERATION_ID.fullmatch(op_id):
            name = _camel_words(op_id)
            if not name or not name[0].isalpha():
                name = method + name[:1].upper() + name[1:]
            name = _free_operation_id(name, taken)
            operation["operationId"] = name
            operation["x-synerise-original-operation-id"] = op_id
            report.fixed(f"{method.upper()} {path}: operationId {op_id!r} respelled {name!r}")


_CLEAN_OPERATION_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _camel_words(text: str) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", text) if w]
    return "".join(w if i == 0 else w[:1].upper() + w[1:] for i, w in enumerate(words))


def _operation_id_from_path(method: str, path: str) -> str:
    parts = []
    for segment in path.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            segment = "by " + segment[1:-1]
        parts.append(segment)
    words = _camel_words(" ".join(parts))
    return method + words[:1].upper() + words[1:]


def _free_operation_id(base: str, taken: set[str]) -> str:
    name, counter = base, 2
    while name in taken:
        name, counter = f"{base}{counter}", counter + 1
    taken.add(name)
    return name


def fix_path_parameters(doc: Document, report: Report, problems: Problems) -> None:
    """Path parameters must be named as in the path template, per operation.

    Published specs sometimes declare ``id`` for ``/things/{thingId}`` on one method; the
    generator would then build the URL with a placeholder no argument fills. When the
    unmatched declarations and the unmatched placeholders are equally many, each
    declaration (in order) takes the name of the placeholder (in template order); a
    placeholder with no declaration at all gets a required string parameter.
    """
    for path, method, operation in iter_operations(doc):
        label = operation_label(path, method, operation)
        placeholders = re.findall(r"\{([^}]+)\}", path)
        item = doc["paths"][path]
        own = operation.get("parameters") or []
        inherited = [
            p
            for p in item.get("parameters") or []
            if _deref(doc, p).get("in") == "path"
            and not any(
                _deref(doc, o).get("in") == "path"
                and _deref(doc, o).get("name") == _deref(doc, p).get("name")
                for o in own
            )
        ]
        declared = [i for i, p in enumerate(own) if _deref(doc, p).get("in") == "path"]
        names = [_deref(doc, own[i]).get("name") for i in declared]
        names += [_deref(doc, p).get("name") for p in inherited]
        unmatched = [(i, n) for i, n in zip(declared, names, strict=False) if n not in placeholders]
        missing = [n for n in placeholders if n not in names]
        if not unmatched and not missing:
            continue
        if unmatched and len(unmatched) != len(missing):
            problems.append(
                f"{label}: path parameters {[n for _i, n in unmatched]} do not match the template's "
                f"{placeholders}"
            )
            continue
        for (index, name), target in zip(unmatched, missing, strict=False):
            param = copy.deepcopy(_deref(doc, own[index]))
            param["name"] = target
            own[index] = param
            report.fixed(
                f"{label}: path parameter {name!r} renamed {target!r} to match the path template"
            )
        for target in missing[len(unmatched) :]:
            operation.setdefault("parameters", []).append(
                {"name": target, "in": "path", "required": True, "schema": {"type": "string"}}
            )
            report.fixed(
                f"{label}: declared path parameter {target!r} (in the template, not declared)"
            )


def check_operations(doc: Document, report: Report, problems: Problems) -> None:
    """operationIds must be unique, also once turned into module names (items 1, 2)."""
    seen: dict[str, str] = {}
    seen_python: dict[str, str] = {}
    for path, method, operation in iter_operations(doc):
        label = operation_label(path, method, operation)
        op_id = operation.get("operationId")
        if not isinstance(op_id, str) or not op_id:
            problems.append(f"{label}: missing operationId")
            continue
        if op_id in seen:
            problems.append(
                f"duplicate operationId {op_id!r}: {seen[op_id]} and {method.upper()} {path}"
            )
            continue
        seen[op_id] = f"{method.upper()} {path}"
        module = python_name(op_id)
        if module in seen_python:
            problems.append(
                f"operationIds {seen_python[module]!r} and {op_id!r} both become module {module!r}"
            )
        seen_python[module] = op_id
        tags = operation.get("tags")
        if not tags or not isinstance(tags, list):
            problems.append(f"{label}: no tags (the first tag names the module folder)")


def check_pagination(doc: Document, report: Report, problems: Problems) -> None:
    """``x-synerise-pagination`` must name a known style and the operation's own parameters."""
    for path, method, operation in iter_operations(doc):
        spec = operation.get("x-synerise-pagination")
        if spec is None:
            continue
        label = operation_label(path, method, operation)
        if not isinstance(spec, dict) or spec.get("style") not in PAGINATION_STYLES:
            problems.append(
                f"{label}: x-synerise-pagination needs a style in {sorted(PAGINATION_STYLES)}"
            )
            continue
        query = {
            p.get("name")
            for p in _operation_parameters(doc, path, operation)
            if p.get("in") == "query"
        }
        for key in ("page_param", "size_param"):
            name = spec.get(key)
            if name is not None and name not in query:
                problems.append(
                    f"{label}: x-synerise-pagination {key} {name!r} is not a query parameter"
                )
        for key in PAGINATION_STYLES[spec["style"]]:
            if spec.get(key) is None:
                problems.append(
                    f"{label}: x-synerise-pagination style {spec['style']!r} needs {key}"
                )


# --- fixes --------------------------------------------------------------------------


def fix_global_security(doc: Document, report: Report, problems: Problems) -> None:
    """Copy global ``security`` (e.g. added by an overlay) down to operations (item 10)."""
    apply_global_security(doc, "merged document", report)


def fix_content_types(doc: Document, report: Report, problems: Problems) -> None:
    """``*/*`` bodies and responses become ``application/json`` (item 5)."""
    for holder, where in _iter_content_holders(doc):
        content = holder.get("content")
        if not isinstance(content, dict) or "*/*" not in content:
            continue
        media = content.pop("*/*")
        if "application/json" not in content:
            content["application/json"] = media
            report.fixed(f"{where}: content type */* -> application/json")
        else:
            report.fixed(f"{where}: dropped */* next to application/json")


def fix_default_responses(doc: Document, report: Report, problems: Problems) -> None:
    """A ``default`` response catches every status, even non-JSON 5xx bodies (item 14).

    Dropped when the operation documents a success status; otherwise it is a failure,
    because the default would then be the only way to parse a success.
    """
    for path, method, operation in iter_operations(doc):
        responses = operation.get("responses") or {}
        if "default" not in responses:
            continue
        label = operation_label(path, method, operation)
        if any(str(code).startswith("2") for code in responses):
            del responses["default"]
            report.fixed(f"{label}: dropped the 'default' response")
        else:
            problems.append(f"{label}: only a 'default' response; document the success status")


def fix_page_params(doc: Document, report: Report, problems: Problems) -> None:
    """``type: number`` page/limit/offset/pageSize/pageIndex become integers (item 11)."""
    for param, where in _iter_parameter_definitions(doc):
        if param.get("in") != "query" or str(param.get("name", "")).lower() not in PAGE_PARAMS:
            continue
        schema = param.get("schema")
        if isinstance(schema, dict) and schema.get("type") == "number":
            schema["type"] = "integer"
            if schema.get("format") in ("float", "double"):
                del schema["format"]
            for key in ("default", "minimum", "maximum", "example"):
                if isinstance(schema.get(key), float) and schema[key].is_integer():
                    schema[key] = int(schema[key])
            report.fixed(f"{where}: query parameter {param['name']!r} number -> integer")


def fix_api_version(doc: Document, report: Report, problems: Problems) -> None:
    """The ``Api-Version`` header leaves the signature; the client sends it (item 12).

    Its value is recorded as ``x-synerise-api-version`` on the operation and reaches
    ``Operation.api_version`` in the generated module.
    """
    for path, method, operation in iter_operations(doc):
        label = operation_label(path, method, operation)
        item = doc["paths"][path]
        found: list[str] = []
        for holder in (item, operation):
            kept = []
            for param in holder.get("parameters") or []:
                resolved = _deref(doc, param)
                if _is_api_version(resolved):
                    found.append(_api_version_value(resolved, label, problems))
                else:
                    kept.append(param)
            if holder is operation and "parameters" in holder:
                holder["parameters"] = kept
        if not found:
            continue
        values = {v for v in found if v}
        if len(values) > 1:
            problems.append(f"{label}: conflicting Api-Version values {sorted(values)}")
            continue
        value = values.pop() if values else None
        existing = operation.get("x-synerise-api-version")
        if value and existing not in (None, value):
            problems.append(
                f"{label}: x-synerise-api-version {existing!r} but header says {value!r}"
            )
        elif value:
            operation["x-synerise-api-version"] = value
            report.fixed(f"{label}: Api-Version header -> x-synerise-api-version {value!r}")
    # Path-level declarations apply to every method; remove them once all are recorded.
    for item in (doc.get("paths") or {}).values():
        if isinstance(item, dict) and item.get("parameters"):
            item["parameters"] = [
                p for p in item["parameters"] if not _is_api_version(_deref(doc, p))
            ]
            if not item["parameters"]:
                del item["parameters"]


def fix_schema_names(doc: Document, report: Report, problems: Problems) -> None:
    """Rename schemas that shadow generated names; fail on names that collide (item 6).

    Component ``title``s are dropped first: the generator names a component's class after
    its title when there is one, which would make class names depend on prose.
    """
    schemas: dict[str, Any] = (doc.get("components") or {}).get("schemas") or {}
    for name, schema in schemas.items():
        if isinstance(schema, dict) and "title" in schema and schema["title"] != name:
            del schema["title"]
            report.fixed(f"schema {name}: dropped title (the class is named after the component)")
    renames: dict[str, str] = {}
    for name in list(schemas):
        if class_name(name) in RESERVED_CLASS_NAMES:
            new = _free_name(name + RENAME_SUFFIX, schemas, renames)
            renames[name] = new
    if renames:
        _rename_schemas(doc, renames)
        for old, new in renames.items():
            report.fixed(f"schema {old} renamed {new} (its name shadows a generated name)")
    by_class: dict[str, str] = {}
    by_module: dict[str, str] = {}
    for name in schemas:
        cls = class_name(name)
        module = gen_strings.snake_case(cls)
        if cls in by_class:
            problems.append(f"schemas {by_class[cls]!r} and {name!r} both become class {cls}")
        elif module in by_module:
            problems.append(
                f"schemas {by_module[module]!r} and {name!r} both become module {module}.py"
            )
        by_class.setdefault(cls, name)
        by_module.setdefault(module, name)


def fix_inline_union_variants(doc: Document, report: Report, problems: Problems) -> None:
    """Inline ``oneOf``/``anyOf`` object variants move to components (item 8, #1428)."""
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for _round in range(10):  # hoisted schemas may hold inline unions themselves
        hoisted = _hoist_inline_variants(doc, schemas, report)
        if not hoisted:
            return
        schemas.update(hoisted)


def _hoist_inline_variants(
    doc: Document, schemas: dict[str, Any], report: Report
) -> dict[str, Any]:
    hoisted: dict[str, Any] = {}

    def visit(schema: dict[str, Any], context: str) -> None:
        for key in ("oneOf", "anyOf"):
            variants = schema.get(key)
            if not isinstance(variants, list):
                continue
            for index, variant in enumerate(variants):
                if not isinstance(variant, dict) or "$ref" in variant:
                    continue
                if "properties" not in variant and "allOf" not in variant:
                    continue
                title = variant.get("title")
                base = (
                    class_name(title) if isinstance(title, str) else f"{context}Variant{index + 1}"
                )
                name = _free_name(base, schemas, hoisted)
                hoisted[name] = variant
                variants[index] = {"$ref": f"#/components/schemas/{name}"}
                report.fixed(
                    f"{context}: inline {key} variant {index + 1} hoisted to schema {name}"
                )

    walk_schemas(doc, visit, pascal)
    return hoisted


def fix_discriminators(doc: Document, report: Report, problems: Problems) -> None:
    """Discriminator mappings become ``const`` + ``required`` on each variant (item 7).

    The generator ignores ``discriminator`` and tries variants in order, so the first one
    that parses wins. With the discriminator property required and ``const`` on every
    variant, only the right variant parses. A variant built with ``allOf`` is flattened
    first, because the generator cannot merge a ``const`` with the base's plain string.
    """
    schemas: dict[str, Any] = (doc.get("components") or {}).get("schemas") or {}
    assignments: dict[str, dict[str, set[Any]]] = defaultdict(lambda: defaultdict(set))
    inline: list[tuple[dict[str, Any], str, Any]] = []

    def visit(schema: dict[str, Any], context: str) -> None:
        disc = schema.get("discriminator")
        variants = schema.get("oneOf") or schema.get("anyOf")
        if not isinstance(disc, dict) or not isinstance(variants, list):
            return
        prop = disc.get("propertyName")
        if not isinstance(prop, str):
            problems.append(f"{context}: discriminator without propertyName")
            return
        mapping = disc.get("mapping") or {}
        mapped = {_schema_name_of(target): value for value, target in mapping.items()}
        for variant in variants:
            ref = variant.get("$ref") if isinstance(variant, dict) else None
            if ref is None:
                problems.append(f"{context}: inline variant in a discriminated union")
                continue
            name = _schema_name_of(ref)
            values = {v for v, t in mapping.items() if _schema_name_of(t) == name} or {
                mapped.get(name, name)
            }
            assignments[name][prop] |= values

    walk_schemas(doc, visit, pascal)
    for name, props in assignments.items():
        if name not in schemas:
            problems.append(f"discriminated variant {name!r} is not a component schema")
            continue
        for prop, values in props.items():
            if len(values) != 1:
                problems.append(
                    f"schema {name}: discriminator {prop!r} maps several values {sorted(map(str, values))} "
                    "to it; give each value its own schema"
                )
                continue
            inline.append((schemas[name], name, (prop, values.pop())))
    for schema, name, (prop, value) in inline:
        if "allOf" in schema:
            flat = _flatten_all_of(doc, schema, name, problems)
            if flat is None:
                continue
            schema.clear()
            schema.update(flat)
            report.fixed(f"schema {name}: flattened allOf to pin its discriminator")
        properties = schema.setdefault("properties", {})
        original = properties.get(prop) if isinstance(properties.get(prop), dict) else {}
        pinned: dict[str, Any] = {"type": "integer" if isinstance(value, int) else "string"}
        if isinstance(original, dict) and "description" in original:
            pinned["description"] = original["description"]
        pinned["const"] = value
        pinned["default"] = value
        properties[prop] = pinned
        required = schema.setdefault("required", [])
        if prop not in required:
            required.append(prop)
        schema.setdefault("type", "object")
        report.fixed(f"schema {name}: {prop} pinned to const {value!r} (discriminator)")


def fix_enums(doc: Document, report: Report, problems: Problems) -> None:
    """Number enums become integer enums (item 4); case-colliding values are merged (item 3).

    Two values whose generated member names collide (``usd``/``Usd`` -> ``USD``) crash the
    generator. The later spellings are removed from the enum: generated enums keep values
    they do not list (see ``types.OpenStrEnum``), so ``Usd`` still parses and is sent back
    unchanged; it just has no named member.
    """

    def visit(schema: dict[str, Any], context: str) -> None:
        values = schema.get("enum")
        if not isinstance(values, list):
            return
        kinds = {_json_kind(v) for v in values if v is not None}
        if len(kinds) > 1 and kinds != {"integer", "number"}:
            _drop_enum(schema, context, report, f"mixes {'/'.join(sorted(kinds))} values")
        elif schema.get("type") == "number" or any(isinstance(v, float) for v in values):
            _fix_number_enum(schema, context, report, problems)
        elif (
            all(isinstance(v, str) for v in values if v is not None)
            and "x-enum-varnames" not in schema
        ):
            _fix_enum_key_collisions(schema, context, report)

    walk_schemas(doc, visit, pascal)


PASSES: tuple[Pass, ...] = (
    check_local_refs,
    fix_operation_ids,
    check_operations,
    fix_path_parameters,
    fix_global_security,
    fix_content_types,
    fix_default_responses,
    fix_page_params,
    fix_api_version,
    fix_schema_names,
    fix_inline_union_variants,
    fix_discriminators,
    fix_enums,
    check_pagination,
)
_BLOCKING: frozenset[Pass] = frozenset({check_local_refs, check_operations})


# --- helpers ------------------------------------------------------------------------


def _resolve_pointer(doc: Document, ref: str) -> Any:
    node: Any = doc
    for token in ref[2:].split("/"):
        key = token.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _deref(doc: Document, node: Any) -> dict[str, Any]:
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        target = _resolve_pointer(doc, node["$ref"])
        return target if isinstance(target, dict) else {}
    return node if isinstance(node, dict) else {}


def _operation_parameters(
    doc: Document, path: str, operation: dict[str, Any]
) -> list[dict[str, Any]]:
    item = doc["paths"][path]
    return [
        _deref(doc, p) for p in (item.get("parameters") or []) + (operation.get("parameters") or [])
    ]


def _is_api_version(param: dict[str, Any]) -> bool:
    return param.get("in") == "header" and str(param.get("name", "")).lower() == "api-version"


def _api_version_value(param: dict[str, Any], label: str, problems: Problems) -> str:
    schema = param.get("schema") or {}
    enum = schema.get("enum") or []
    if len(enum) == 1:
        return str(enum[0])
    if schema.get("default") is not None:
        return str(schema["default"])
    problems.append(f"{label}: Api-Version header has no single enum value or default")
    return ""


def _iter_parameter_definitions(doc: Document) -> list[tuple[dict[str, Any], str]]:
    found: list[tuple[dict[str, Any], str]] = []
    for name, param in ((doc.get("components") or {}).get("parameters") or {}).items():
        if isinstance(param, dict):
            found.append((param, f"components/parameters/{name}"))
    for path, item in (doc.get("paths") or {}).items():
        for param in (item or {}).get("parameters") or []:
            if isinstance(param, dict) and "$ref" not in param:
                found.append((param, f"path {path}"))
    for path, method, operation in iter_operations(doc):
        for param in operation.get("parameters") or []:
            if isinstance(param, dict) and "$ref" not in param:
                found.append((param, operation_label(path, method, operation)))
    return found


def _iter_content_holders(doc: Document) -> list[tuple[dict[str, Any], str]]:
    found: list[tuple[dict[str, Any], str]] = []
    components = doc.get("components") or {}
    for section in ("responses", "requestBodies"):
        for name, holder in (components.get(section) or {}).items():
            if isinstance(holder, dict):
                found.append((holder, f"components/{section}/{name}"))
    for path, method, operation in iter_operations(doc):
        label = operation_label(path, method, operation)
        body = operation.get("requestBody")
        if isinstance(body, dict):
            found.append((body, f"{label} request body"))
        for code, response in (operation.get("responses") or {}).items():
            if isinstance(response, dict):
                found.append((response, f"{label} response {code}"))
    return found


def _free_name(base: str, *taken: dict[str, Any]) -> str:
    name, counter = base, 2
    while any(name in names for names in taken) or class_name(name) in RESERVED_CLASS_NAMES:
        name, counter = f"{base}{counter}", counter + 1
    return name


def _rename_schemas(doc: Document, renames: dict[str, str]) -> None:
    schemas = doc["components"]["schemas"]
    for old, new in renames.items():
        schemas[new] = schemas.pop(old)
    prefix = "#/components/schemas/"
    for holder, ref in list(iter_refs(doc)):
        if ref.startswith(prefix):
            name, sep, rest = ref[len(prefix) :].partition("/")
            if name in renames:
                holder["$ref"] = f"{prefix}{renames[name]}{sep}{rest}"

    def visit(schema: dict[str, Any], context: str) -> None:
        mapping = (schema.get("discriminator") or {}).get("mapping")
        if isinstance(mapping, dict):
            for value, target in mapping.items():
                name = _schema_name_of(target)
                if name in renames:
                    mapping[value] = prefix + renames[name]

    walk_schemas(doc, visit, pascal)


def _schema_name_of(target: str) -> str:
    """``#/components/schemas/Cat`` or a bare ``Cat`` (allowed in mappings) -> ``Cat``."""
    return target.rsplit("/", 1)[-1] if target.startswith("#") else target


def _flatten_all_of(
    doc: Document, schema: dict[str, Any], name: str, problems: Problems, depth: int = 0
) -> dict[str, Any] | None:
    """Merge an ``allOf`` schema's parts into one object schema (later parts win).

    Properties defined in several parts are merged key by key when one only adds keys
    (a description, a format); otherwise the later definition replaces the earlier one,
    which is what the generator's own merge does for compatible types.
    """
    if depth > 10:
        problems.append(f"schema {name}: allOf nested too deeply to flatten")
        return None
    flat: dict[str, Any] = {k: copy.deepcopy(v) for k, v in schema.items() if k != "allOf"}
    properties: dict[str, Any] = {}
    required: list[str] = []
    parts = [_deref(doc, part) for part in schema["allOf"]] + [flat]
    for part in parts:
        if "allOf" in part:
            nested = _flatten_all_of(doc, part, name, problems, depth + 1)
            if nested is None:
                return None
            part = nested
        for prop, definition in (part.get("properties") or {}).items():
            previous = properties.get(prop)
            if isinstance(previous, dict) and isinstance(definition, dict):
                if all(previous.get(k) == v for k, v in definition.items() if k in previous):
                    properties[prop] = {**previous, **definition}
                    continue
            properties[prop] = copy.deepcopy(definition)
        required.extend(r for r in part.get("required") or [] if r not in required)
        for key, value in part.items():
            if key not in ("properties", "required", "allOf") and key not in flat:
                flat[key] = copy.deepcopy(value)
    flat["type"] = "object"
    flat["properties"] = properties
    if required:
        flat["required"] = required
    return flat


def _fix_number_enum(
    schema: dict[str, Any], context: str, report: Report, problems: Problems
) -> None:
    values = schema["enum"]
    numbers = [v for v in values if v is not None]
    if all(
        isinstance(v, int | float) and not isinstance(v, bool) and float(v).is_integer()
        for v in numbers
    ):
        schema["type"] = "integer"
        schema.pop("format", None) if schema.get("format") in ("float", "double") else None
        schema["enum"] = [None if v is None else int(v) for v in values]
        report.fixed(f"{context}: number enum -> integer enum")
    else:
        _drop_enum(schema, context, report, "has non-integral numbers (the generator drops those)")


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number" if not (math.isfinite(value) and value.is_integer()) else "integer"
    return "string" if isinstance(value, str) else type(value).__name__


def _drop_enum(schema: dict[str, Any], context: str, report: Report, why: str) -> None:
    """An enum no generated type can express: keep the values as a record, type stays.

    The field then accepts any value of its type (a mixed enum: any JSON value); the
    values stay visible in ``x-synerise-enum`` and in the report.
    """
    values = schema.pop("enum")
    schema["x-synerise-enum"] = values
    report.fixed(f"{context}: enum {values} {why}; dropped it, values kept in x-synerise-enum")


def _enum_member_keys(values: list[Any]) -> list[str | None]:
    """The member names the generator gives string enum values (EnumProperty.values_from_list)."""
    keys: list[str | None] = []
    index = 0  # the generator numbers values after dropping null
    for value in values:
        if value is None:
            keys.append(None)
            continue
        key = value.upper() if value and value[0].isalpha() else f"VALUE_{index}"
        keys.append(gen_strings.snake_case(key).upper())
        index += 1
    return keys


def _fix_enum_key_collisions(schema: dict[str, Any], context: str, report: Report) -> None:
    for _round in range(len(schema["enum"])):
        values = schema["enum"]
        seen: dict[str, Any] = {}
        dropped: list[Any] = []
        kept: list[Any] = []
        for value, key in zip(values, _enum_member_keys(values), strict=True):
            if key is not None and key in seen:
                dropped.append(value)
                continue
            if key is not None:
                seen[key] = value
            kept.append(value)
        if not dropped:
            return
        schema["enum"] = kept
        report.fixed(
            f"{context}: enum values {dropped} collide with others once upper-cased; kept "
            "as unnamed values (still parsed and sent unchanged)"
        )
