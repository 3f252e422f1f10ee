"""Facts about a model that ``model.py.jinja`` needs to emit its fast ``from_dict``.

The generated parser reads each key once, converts nested values through module-level
names bound once (never through per-call imports), and looks enum values up in the
enum's value map. These helpers give the template those names:

* ``lazy_classes``: the nested model classes a module must import lazily (models refer
  to each other, so importing them at module level could cycle), as ``(import, name)``;
* ``enum_maps``: one module-level alias per enum the model parses, ``(alias, class)``;
* ``enum_map_name``: the alias of one enum property, as used inside the parser;
* ``mentions``: whether generated code refers to any of some names;
* ``reads_values``: ``to_dict`` code rewritten to read parsed values instead of fields;
* ``eager_members``: stock union code with each member's ``from_dict`` parsed whole.

Importing this module also sets the JSON type of date-time properties (see
``DATETIME_JSON_TYPE``), which every template uses when it declares serialised values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from openapi_python_client.parser.properties.datetime import DateTimeProperty

from .errors import CodegenError

__all__ = [
    "DATETIME_JSON_TYPE",
    "eager_members",
    "enum_map_name",
    "enum_maps",
    "lazy_classes",
    "mentions",
    "reads_values",
]

DATETIME_JSON_TYPE = "str | int | float"
"""What a date-time serialises to: ``types.serialize_datetime`` sends back the wire value
it was parsed from (an ISO string, or epoch seconds/millis), so not always ``str``. The
generator's own ``"str"`` made every template that declares a serialised value (optional
and nullable fields, lists, query parameters) fail ``mypy --strict``. Set on the class
because the templates reach it through ``get_type_string(json=True)`` everywhere; the
generator version is pinned, so this class attribute is stable."""
DateTimeProperty._json_type_string = DATETIME_JSON_TYPE

_ENUM_TEMPLATE = "enum_property.py.jinja"


def lazy_classes(model: Any) -> list[tuple[str, str]]:
    """``(import statement, class name)`` for each lazily imported model, sorted."""
    found = []
    for statement in sorted(model.lazy_imports or ()):
        parts = statement.split()
        # The generator's lazy imports are all `from <module> import <Name>`.
        if len(parts) != 4 or parts[0] != "from" or parts[2] != "import":
            raise CodegenError(f"unexpected lazy import {statement!r} in {model.class_info.name}")
        found.append((statement, parts[3]))
    return found


def enum_map_name(prop: Any) -> str:
    """Module-level alias of an enum's ``_value2member_map_`` (``_<MODULE>_BY_VALUE``)."""
    return f"_{str(prop.class_info.module_name).upper()}_BY_VALUE"


def enum_maps(model: Any) -> list[tuple[str, str]]:
    """``(alias, enum class)`` for every enum reachable from the model's properties."""
    props = [*model.required_properties, *model.optional_properties]
    if model.additional_properties not in (None, True, False):
        props.append(model.additional_properties)
    return sorted(
        {
            (enum_map_name(prop), str(prop.class_info.name))
            for prop in _walk(props)
            if prop.template == _ENUM_TEMPLATE
        }
    )


def mentions(code: str, names: Iterable[str]) -> bool:
    """True if ``code`` uses any of ``names`` as a whole word."""
    return any(re.search(rf"\b{re.escape(name)}\b", code) for name in names)


_SELF_FIELD = re.compile(r"\bself\.(\w+)")


def reads_values(code: str) -> str:
    """``to_dict`` body with each ``self.<field>`` read as the local ``_v_<field>``.

    The generated ``_to_dict_from_source`` binds those locals to the field parsers'
    results, so it returns exactly what ``to_dict`` returns once every field is parsed.
    """
    return _SELF_FIELD.sub(r"_v_\1", str(code))


_FROM_DICT_CALL = re.compile(r"\b([A-Za-z_]\w*)\.from_dict\((\w+)\)")


def eager_members(code: str) -> str:
    """Wrap every ``Model.from_dict(name)`` call in ``code`` in ``parsed_eagerly(...)``.

    For the stock union construct code, which tries each member's ``from_dict`` and keeps
    the first that does not raise: lazy models would only check their required keys.
    """
    return _FROM_DICT_CALL.sub(r"parsed_eagerly(\1.from_dict(\2))", str(code))


def _walk(props: Iterable[Any]) -> Iterator[Any]:
    """The properties and, recursively, the items of lists and members of unions."""
    for prop in props:
        yield prop
        inner = getattr(prop, "inner_property", None)
        if inner is not None:
            yield from _walk([inner])
        yield from _walk(getattr(prop, "inner_properties", None) or ())
