"""Lazily parsed response models: from_dict keeps the source, fields are parsed on first read.

Uses the real generated ``WorkflowListItem`` (nested author, configuration with capping and
period, a list of tags, an enum) and the listing envelope around it.
"""

from __future__ import annotations

import copy
import pickle
from typing import Any

import attrs
import pytest

import synerise_async as sa
from synerise_async.models.workflow_author import WorkflowAuthor
from synerise_async.models.workflow_capping import WorkflowCapping
from synerise_async.models.workflow_capping_period import WorkflowCappingPeriod
from synerise_async.models.workflow_configuration import WorkflowConfiguration
from synerise_async.models.workflow_list_item import WorkflowListItem
from synerise_async.models.workflow_list_response import WorkflowListResponse
from synerise_async.models.workflow_status import WorkflowStatus
from synerise_async.models.workflow_tag import WorkflowTag
from synerise_async.types import UNSET, LazyModel


def payload(**changes: Any) -> dict[str, Any]:
    """One workflow as the listing sends it (every field set), with ``changes`` applied."""
    item: dict[str, Any] = {
        "diagramId": "030a9be3-8ccc-44c7-b20b-27768816cab7",
        "listingAuthor": {
            "userId": 1001,
            "clientId": 0,
            "clientApiHash": "f2a8c1d0",
            "businessProfileApiHash": "9b1e77aa",
        },
        "name": "Workflow 1",
        "created": 1546607838.315,
        "updated": 1546607938.315,
        "status": "Active",
        "scheduleStatus": "On",
        "configuration": {
            "capping": {"limit": 3, "period": {"type": "Time", "timeSeconds": 3600}},
            "multipleJourneys": False,
        },
        "catalogId": "030a9be3-8ccc-44c7-b20b-27768816cab7",
        "context": "Client",
        "tags": [{"hash": "h1", "value": "etl", "color": "#0b68ff"}],
        "description": "Sample",
        "hasTransformation": True,
        "businessProfileId": 42,
    }
    item.update(changes)
    return item


def constructed() -> WorkflowListItem:
    """The same workflow as :func:`payload`, built with the constructors."""
    return WorkflowListItem(
        diagram_id="030a9be3-8ccc-44c7-b20b-27768816cab7",
        name="Workflow 1",
        status=WorkflowStatus.ACTIVE,
        listing_author=WorkflowAuthor(
            user_id=1001,
            client_id=0,
            client_api_hash="f2a8c1d0",
            business_profile_api_hash="9b1e77aa",
        ),
        created=1546607838.315,
        updated=1546607938.315,
        schedule_status="On",
        configuration=WorkflowConfiguration(
            capping=WorkflowCapping(
                limit=3, period=WorkflowCappingPeriod(type_="Time", time_seconds=3600)
            ),
            multiple_journeys=False,
        ),
        catalog_id="030a9be3-8ccc-44c7-b20b-27768816cab7",
        context="Client",
        tags=[WorkflowTag(hash_="h1", value="etl", color="#0b68ff")],
        description="Sample",
        has_transformation=True,
        business_profile_id=42,
    )


def test_from_dict_keeps_the_source_and_parses_a_field_on_first_read() -> None:
    """from_dict stores the source mapping itself; a field read later is parsed then and stored."""
    src = payload()
    item = WorkflowListItem.from_dict(src)
    assert isinstance(item, LazyModel) and item._src is src
    with pytest.raises(AttributeError):
        WorkflowListItem.status.__get__(item)  # the slot is still unset
    assert item.status is WorkflowStatus.ACTIVE
    assert WorkflowListItem.status.__get__(item) is WorkflowStatus.ACTIVE
    assert isinstance(item.listing_author, WorkflowAuthor) and item.listing_author.user_id == 1001
    assert item.configuration.capping.period.time_seconds == 3600  # type: ignore[union-attr]


def test_first_read_parses_the_whole_level_but_not_nested_models() -> None:
    """Reading one field of an untouched instance sets every field slot; nested models stay lazy."""
    item = WorkflowListItem.from_dict(payload())
    assert item.name == "Workflow 1"
    assert WorkflowListItem.status.__get__(item) is WorkflowStatus.ACTIVE
    author = WorkflowListItem.listing_author.__get__(item)
    assert isinstance(author, WorkflowAuthor)
    with pytest.raises(AttributeError):
        WorkflowAuthor.user_id.__get__(author)
    assert author.user_id == 1001


def test_missing_optional_key_reads_as_unset() -> None:
    """An optional key absent from the source reads as UNSET, as with eager parsing."""
    src = payload()
    del src["tags"], src["listingAuthor"]
    item = WorkflowListItem.from_dict(src)
    assert item.tags is UNSET and item.listing_author is UNSET
    assert "tags" not in item.to_dict()


def test_missing_required_key_is_still_found_by_from_dict() -> None:
    """A missing required key raises KeyError from from_dict itself, noting the model."""
    src = payload()
    del src["name"]
    with pytest.raises(KeyError) as info:
        WorkflowListItem.from_dict(src)
    assert info.value.args == ("name",)
    assert info.value.__notes__ == ["while parsing WorkflowListItem"]


def test_required_nested_items_are_checked_by_the_envelope_from_dict() -> None:
    """The listing envelope builds its required item list at once, so an item's missing key fails there."""
    bad = payload()
    del bad["diagramId"]
    body = {"data": [payload(), bad], "meta": {"limit": 2, "page": 1, "total": 2}}
    with pytest.raises(KeyError) as info:
        WorkflowListResponse.from_dict(body)
    assert info.value.args == ("diagramId",)
    assert info.value.__notes__ == [
        "while parsing WorkflowListItem",
        "while parsing WorkflowListResponse",
    ]


def test_non_mapping_source_is_a_type_error() -> None:
    """from_dict on a list still raises TypeError naming the model."""
    with pytest.raises(TypeError, match="WorkflowListItem expects a JSON object, got list"):
        WorkflowListItem.from_dict([1, 2])  # type: ignore[arg-type]


def test_bad_enum_value_raises_a_typed_error_when_read() -> None:
    """A wrongly typed enum value passes from_dict and raises ResponseFieldError on access."""
    item = WorkflowListItem.from_dict(payload(status=7))
    assert item.name == "Workflow 1"  # other fields still read
    with pytest.raises(AttributeError):
        WorkflowListItem.status.__get__(item)  # the bad one was left unset
    with pytest.raises(sa.ResponseFieldError) as info:
        _ = item.status
    error = info.value
    assert isinstance(error, sa.APIResponseValidationError)
    assert (error.model, error.field) == ("WorkflowListItem", "status")
    assert isinstance(error.__cause__, ValueError)
    assert str(error).startswith("WorkflowListItem.status: response value does not match the spec")


def test_bad_nested_shape_raises_a_typed_error_naming_the_field() -> None:
    """A nested model sent as a list raises ResponseFieldError for the wire field, caused by TypeError."""
    item = WorkflowListItem.from_dict(payload(listingAuthor=["not", "an", "object"]))
    with pytest.raises(sa.ResponseFieldError) as info:
        _ = item.listing_author
    assert info.value.field == "listingAuthor" and info.value.model == "WorkflowListItem"
    assert isinstance(info.value.__cause__, TypeError)
    assert "WorkflowAuthor expects a JSON object, got list" in str(info.value)


def test_bad_value_deep_inside_is_named_by_its_own_model() -> None:
    """A bad value two levels down is reported by the model that holds it, on access."""
    item = WorkflowListItem.from_dict(payload(tags=[{"hash": "h"}, "oops"]))
    with pytest.raises(sa.ResponseFieldError) as info:
        _ = item.tags
    assert (info.value.model, info.value.field) == ("WorkflowListItem", "tags")
    assert "WorkflowTag expects a JSON object, got str" in str(info.value)


def test_response_field_error_pickles_with_its_attributes() -> None:
    """ResponseFieldError survives pickling with model, field and message."""
    item = WorkflowListItem.from_dict(payload(status=7))
    with pytest.raises(sa.ResponseFieldError) as info:
        _ = item.status
    copy_ = pickle.loads(pickle.dumps(info.value))
    assert type(copy_) is sa.ResponseFieldError
    assert (copy_.model, copy_.field, str(copy_)) == ("WorkflowListItem", "status", str(info.value))


def test_unknown_attribute_is_an_attribute_error() -> None:
    """A name that is not a field raises AttributeError (so hasattr and getattr defaults work)."""
    item = WorkflowListItem.from_dict(payload())
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = item.nope  # type: ignore[attr-defined]
    assert not hasattr(item, "nope") and getattr(item, "nope", 5) == 5


def test_lazy_instance_equals_the_constructed_one() -> None:
    """== compares field values: a lazy instance equals the constructor-built one, both ways."""
    assert WorkflowListItem.from_dict(payload()) == constructed()
    assert constructed() == WorkflowListItem.from_dict(payload())
    assert WorkflowListItem.from_dict(payload(name="other")) != constructed()


def test_repr_asdict_and_evolve_match_the_constructed_instance() -> None:
    """repr, attrs.asdict and attrs.evolve see the same fields as on a constructed instance."""
    lazy = WorkflowListItem.from_dict(payload())
    assert repr(lazy) == repr(constructed())
    assert "_src" not in repr(lazy)
    assert attrs.asdict(WorkflowListItem.from_dict(payload())) == attrs.asdict(constructed())
    evolved = attrs.evolve(WorkflowListItem.from_dict(payload()), name="renamed")
    assert evolved == attrs.evolve(constructed(), name="renamed")


def test_to_dict_round_trips_unknown_keys_and_returns_a_new_dict() -> None:
    """to_dict equals the source, unknown keys included, and is not the source object."""
    src = payload(brandNew={"x": 1}, zzz=2)
    src["listingAuthor"]["extra"] = True
    item = WorkflowListItem.from_dict(src)
    out = item.to_dict()
    assert out == src and out is not src
    assert out["listingAuthor"] is not src["listingAuthor"]
    out["name"] = "changed"
    assert src["name"] == "Workflow 1" and item.name == "Workflow 1"


def test_additional_properties_are_the_unknown_keys() -> None:
    """additional_properties, [] and `in` see only the keys the model does not declare."""
    item = WorkflowListItem.from_dict(payload(brandNew={"x": 1}))
    assert item.additional_properties == {"brandNew": {"x": 1}}
    assert item["brandNew"] == {"x": 1} and "brandNew" in item and "name" not in item
    item["more"] = 1
    assert item.to_dict()["more"] == 1
    assert WorkflowListItem.from_dict(payload()).additional_properties == {}


def test_a_field_set_before_it_is_read_is_not_overwritten() -> None:
    """Setting a field on a lazy instance wins over the source, before or after other reads."""
    item = WorkflowListItem.from_dict(payload())
    item.name = "mine"
    assert item.status is WorkflowStatus.ACTIVE  # first read after an assignment
    item.tags = UNSET
    assert item.name == "mine" and item.tags is UNSET
    assert item.to_dict()["name"] == "mine" and "tags" not in item.to_dict()
    fresh = WorkflowListItem.from_dict(payload())
    _ = fresh.status  # parses the level, then an assignment replaces one value
    fresh.context = "Mine"
    assert fresh.to_dict()["context"] == "Mine"


def test_source_mapping_is_not_changed() -> None:
    """Reading every field and to_dict leave the source mapping as it was."""
    src = payload(brandNew=1)
    before = copy.deepcopy(src)
    item = WorkflowListItem.from_dict(src)
    item.to_dict()
    attrs.asdict(item)
    assert src == before and list(src) == list(before)


@pytest.mark.parametrize("touched", [False, True])
def test_pickle_and_copies_keep_every_field(touched: bool) -> None:
    """pickle, copy.copy and copy.deepcopy of a lazy instance equal the original, read or not."""
    item = WorkflowListItem.from_dict(payload(brandNew=1))
    if touched:
        _ = item.status
    for clone in (pickle.loads(pickle.dumps(item)), copy.copy(item), copy.deepcopy(item)):
        assert clone == constructed_with_extra()
        assert clone.to_dict() == payload(brandNew=1)


def constructed_with_extra() -> WorkflowListItem:
    """:func:`constructed` with the unknown key ``brandNew`` = 1."""
    item = constructed()
    item["brandNew"] = 1
    return item


def test_unpickled_instance_does_not_need_the_source() -> None:
    """An unpickled instance has every field set and no source; a deleted field is an AttributeError."""
    clone = pickle.loads(pickle.dumps(WorkflowListItem.from_dict(payload())))
    with pytest.raises(AttributeError):
        _ = clone._src
    del clone.name
    with pytest.raises(AttributeError, match="no attribute 'name'"):
        _ = clone.name


def test_constructed_models_are_plain_attrs_instances() -> None:
    """Request-body models built by callers set every field in __init__ and keep no source."""
    item = constructed()
    with pytest.raises(AttributeError):
        _ = item._src
    assert WorkflowListItem.status.__get__(item) is WorkflowStatus.ACTIVE
    assert item.to_dict() == payload()


def test_to_dict_of_an_untouched_instance_equals_the_field_by_field_result() -> None:
    """to_dict before any read (the shortcut) equals to_dict after every field was read, key order included."""
    src = payload(brandNew={"x": 1})
    untouched = WorkflowListItem.from_dict(src).to_dict()
    read = WorkflowListItem.from_dict(src)
    attrs.asdict(read)
    assert untouched == read.to_dict() and list(untouched) == list(read.to_dict())
    assert next(iter(untouched)) == "brandNew"  # unknown keys first, as to_dict always did


def test_to_dict_of_an_untouched_instance_with_a_bad_field_raises_the_typed_error() -> None:
    """A bad value makes to_dict raise ResponseFieldError for that field, not a bare ValueError."""
    item = WorkflowListItem.from_dict(payload(status=["Active"]))
    with pytest.raises(sa.ResponseFieldError) as info:
        item.to_dict()
    assert (info.value.model, info.value.field) == ("WorkflowListItem", "status")


def test_to_dict_of_a_constructed_model_without_declared_fields() -> None:
    """A constructed model whose only field is additional_properties (one slot set) serialises normally."""
    from synerise_async.models.promotion_details_type_0 import PromotionDetailsType0

    details = PromotionDetailsType0()
    details["a"] = 1
    assert details.to_dict() == {"a": 1}
    assert PromotionDetailsType0().to_dict() == {}
    assert PromotionDetailsType0.from_dict({"b": [2]}).to_dict() == {"b": [2]}
