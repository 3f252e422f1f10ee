"""Profiles (formerly "clients") and their tags (``profiles.yaml``).

Profiles are identified by ``email``, ``customId`` or ``uuid``: creating one that matches
an existing profile updates it, as Synerise does. The listing pages with ``pageIndex``
(1-based) and ``pageSize`` and returns a bare array; a short page is the last one.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from typing import Any, Final

from .._schema import Problem
from ._base import ApiError, Ctx, Reply, handles, not_found

_IDENTIFIERS: Final = ("email", "customId", "uuid")
_PROFILE_FIELDS: Final = (
    "email",
    "phone",
    "customId",
    "uuid",
    "firstName",
    "lastName",
    "displayName",
    "company",
    "address",
    "city",
    "province",
    "zipCode",
    "countryCode",
    "birthDate",
    "avatarUrl",
)
_FIRST_NAMES: Final = ("Jane", "John", "Anna", "Piotr", "Maria", "Tom", "Eva", "Jan")
_LAST_NAMES: Final = ("Doe", "Smith", "Nowak", "Kowalski", "Brown", "Lee")
_CITIES: Final = ("Krakow", "Warsaw", "Berlin", "London", "Paris", "Madrid")
DEFAULT_PAGE_SIZE: Final = 100


class ProfileStore:
    """Profiles by ``clientId`` with lookups by identifier, plus workspace tags."""

    def __init__(self, count: int, rng: random.Random) -> None:
        self.by_id: dict[int, dict[str, Any]] = {}
        self._next_id = 469_128_000
        self.tags: dict[int, dict[str, Any]] = {
            1021: {"id": 1021, "name": "vip", "color": "#f5a623"},
            1022: {"id": 1022, "name": "newsletter", "color": "#4a90e2"},
            1023: {"id": 1023, "name": "churn-risk", "color": "#d0021b"},
        }
        self.assignments: dict[tuple[int, int], int] = {}
        self._index: dict[str, dict[Any, int]] = {field: {} for field in (*_IDENTIFIERS, "phone")}
        self._next_assignment = 88_000
        for index in range(count):
            self.upsert(
                {
                    "email": f"profile{index + 1:05d}@example.com",
                    "customId": f"card{index + 1:05d}",
                    "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "firstName": rng.choice(_FIRST_NAMES),
                    "lastName": rng.choice(_LAST_NAMES),
                    "city": rng.choice(_CITIES),
                }
            )

    def __len__(self) -> int:
        return len(self.by_id)

    def find(self, identifiers: dict[str, Any]) -> dict[str, Any] | None:
        """The profile sharing ``email``, ``customId`` or ``uuid`` with ``identifiers``."""
        for field in _IDENTIFIERS:
            value = identifiers.get(field)
            if value is None:
                continue
            client_id = self._index[field].get(value)
            if client_id is not None:
                return self.by_id[client_id]
        return None

    def lookup(self, field: str, value: Any) -> dict[str, Any] | None:
        """The profile whose ``field`` (an identifier or ``phone``) equals ``value``."""
        client_id = self._index[field].get(value)
        return None if client_id is None else self.by_id[client_id]

    def upsert(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create a profile, or update the one sharing an identifier with ``data``."""
        profile = self.find(data)
        if profile is None:
            self._next_id += 1
            profile = _blank(self._next_id)
            self.by_id[self._next_id] = profile
        self.update(profile, data)
        return profile

    def update(self, profile: dict[str, Any], data: dict[str, Any]) -> None:
        self._unindex(profile)
        for field in _PROFILE_FIELDS:
            if field in data:
                profile[field] = data[field]
        if "sex" in data:
            profile["sex"] = data["sex"]
        if "agreements" in data and isinstance(data["agreements"], dict):
            profile["agreements"].update(data["agreements"])
        if "attributes" in data and isinstance(data["attributes"], dict):
            profile["attributes"].update(data["attributes"])
        if "tags" in data and isinstance(data["tags"], list):
            profile["tags"] = list(dict.fromkeys([*profile["tags"], *data["tags"]]))
        if profile.get("uuid") is None:
            profile["uuid"] = str(uuid.uuid5(uuid.NAMESPACE_OID, str(profile["clientId"])))
        profile["anonymous"] = not (profile.get("email") or profile.get("customId"))
        for field, index in self._index.items():
            value = profile.get(field)
            if value is not None:
                index.setdefault(value, profile["clientId"])

    def _unindex(self, profile: dict[str, Any]) -> None:
        for field, index in self._index.items():
            value = profile.get(field)
            if value is not None and index.get(value) == profile["clientId"]:
                del index[value]

    def get(self, client_id: Any) -> dict[str, Any]:
        profile = self.by_id.get(client_id)
        if profile is None:
            raise not_found("Profile")
        return profile

    def delete(self, client_id: int) -> None:
        profile = self.by_id.pop(client_id, None)
        if profile is None:
            raise not_found("Profile")
        self._unindex(profile)
        for key in [k for k in self.assignments if k[0] == client_id]:
            del self.assignments[key]


def _blank(client_id: int) -> dict[str, Any]:
    profile: dict[str, Any] = dict.fromkeys(_PROFILE_FIELDS)
    profile.update(
        clientId=client_id,
        sex="NOT_SPECIFIED",
        agreements={
            "email": False,
            "sms": False,
            "push": False,
            "bluetooth": False,
            "rfid": False,
            "wifi": False,
        },
        attributes={},
        tags=[],
        anonymous=True,
        lastActivityDate=None,
        previousClients=[],
    )
    return profile


def _store(ctx: Ctx) -> ProfileStore:
    return ctx.state.profiles


@handles("createAClientInCrm", "createProfileInstantly")
def create_profile(ctx: Ctx) -> Any:
    profile = _store(ctx).upsert(ctx.body)
    if ctx.op.operation_id == "createProfileInstantly":
        return str(profile["clientId"])
    return Reply()


@handles("batchAddOrUpdateClients", "customClientImport")
def batch_profiles(ctx: Ctx) -> Any:
    store = _store(ctx)
    for data in ctx.body:
        store.upsert(data)
    return Reply()


def _matches(profile: dict[str, Any], filters: Iterable[tuple[str, Any]]) -> bool:
    for name, wanted in filters:
        if name == "anonymous":
            if profile.get("anonymous") != wanted:
                return False
        elif profile.get(name) != wanted:
            return False
    return True


@handles("listClients")
def list_profiles(ctx: Ctx) -> Any:
    query = ctx.query
    filters = [
        (name[len("filters[") : -1], value)
        for name, value in query.items()
        if name.startswith("filters[")
    ]
    items = [p for p in _store(ctx).by_id.values() if _matches(p, filters)]
    sort_by = query.get("sortBy")
    if sort_by:
        items.sort(
            key=lambda p: (p.get(sort_by) is None, str(p.get(sort_by) or ""), p["clientId"]),
            reverse=query.get("sortOrder") == "DESC",
        )
    page, size = int(query.get("pageIndex", 1)), int(query.get("pageSize", DEFAULT_PAGE_SIZE))
    start = (page - 1) * size
    return items[start : start + size]


@handles("getProfile")
def get_profile(ctx: Ctx) -> Any:
    return _store(ctx).get(ctx.path["clientID"])


_IDENTIFIER_FIELDS: Final = {
    "by-email": "email",
    "by-phone": "phone",
    "by-uuid": "uuid",
    "by-customId": "customId",
}


def _by_identifier(ctx: Ctx, kind: str, value: str) -> dict[str, Any]:
    profile = _store(ctx).lookup(_IDENTIFIER_FIELDS[kind], value)
    if profile is None:
        raise not_found("Profile")
    return profile


@handles("findAClient")
def find_profile(ctx: Ctx) -> Any:
    return _by_identifier(ctx, ctx.path["identifierType"], ctx.path["identifierValue"])


@handles("updateProfile")
def update_profile(ctx: Ctx) -> Any:
    _store(ctx).update(_store(ctx).get(ctx.path["clientID"]), ctx.body)
    return Reply()


@handles("updateProfileByEmail")
def update_by_email(ctx: Ctx) -> Any:
    profile = _by_identifier(ctx, "by-email", ctx.path["clientEmail"])
    _store(ctx).update(profile, ctx.body)
    return Reply()


@handles("updateProfileByCustomId")
def update_by_custom_id(ctx: Ctx) -> Any:
    profile = _by_identifier(ctx, "by-customId", ctx.path["customId"])
    _store(ctx).update(profile, ctx.body)
    return Reply()


@handles("deleteProfile")
def delete_profile(ctx: Ctx) -> Any:
    _store(ctx).delete(ctx.path["clientID"])
    return Reply()


@handles("deleteProfileByCustomid", "deleteAClientByCustomId")
def delete_by_custom_id(ctx: Ctx) -> Any:
    value = str(ctx.path.get("customId", ctx.path.get("clientCustomID")))
    profile = _by_identifier(ctx, "by-customId", value)
    _store(ctx).delete(profile["clientId"])
    return Reply()


@handles("mergeProfilesByIds")
def merge_by_ids(ctx: Ctx) -> Any:
    store = _store(ctx)
    target = store.get(ctx.path["toClientId"])
    for text in str(ctx.path["fromClientIds"]).split(","):
        if not text.strip().isdigit():
            raise ApiError(
                400,
                "fromClientIds must be comma-separated numbers",
                [Problem("fromClientIds", "must be comma-separated numbers", text)],
            )
        source = store.get(int(text))
        _merge(store, source, target)
    return target


@handles("mergeProfilesByCustomIds")
def merge_by_custom_ids(ctx: Ctx) -> Any:
    store = _store(ctx)
    target = _by_identifier(ctx, "by-customId", ctx.path["targetCustomID"])
    for value in str(ctx.path["sourceCustomIDs"]).split(","):
        _merge(store, _by_identifier(ctx, "by-customId", value.strip()), target)
    return target


def _merge(store: ProfileStore, source: dict[str, Any], target: dict[str, Any]) -> None:
    if source is target:
        return
    for field in _PROFILE_FIELDS:
        if (
            target.get(field) is None
            and source.get(field) is not None
            and field not in ("uuid", "customId", "email")
        ):
            target[field] = source[field]
    target["previousClients"].append(source["clientId"])
    store.delete(source["clientId"])


@handles("listAllProfileTags")
def list_tags(ctx: Ctx) -> Any:
    return list(_store(ctx).tags.values())


@handles("listProfileTags")
def list_profile_tags(ctx: Ctx) -> Any:
    store = _store(ctx)
    client_id = ctx.path["clientID"]
    store.get(client_id)
    return [store.tags[tag_id] for (cid, tag_id) in store.assignments if cid == client_id]


@handles("assignProfileTag")
def assign_tag(ctx: Ctx) -> Any:
    store = _store(ctx)
    client_id, tag_id = ctx.path["clientID"], ctx.path["tagID"]
    store.get(client_id)
    if tag_id not in store.tags:
        raise not_found("Tag")
    key = (client_id, tag_id)
    if key not in store.assignments:
        store._next_assignment += 1
        store.assignments[key] = store._next_assignment
    return {"id": store.assignments[key], "clientId": client_id, "tagId": tag_id}


@handles("removeProfileTag")
def remove_tag(ctx: Ctx) -> Any:
    store = _store(ctx)
    key = (ctx.path["clientID"], ctx.path["tagID"])
    if store.assignments.pop(key, None) is None:
        raise not_found("Tag assignment")
    return Reply()


@handles("linkProfileDevice", "linkProfileDeviceByIdentifier")
def link_device(ctx: Ctx) -> Any:
    if "clientID" in ctx.path:
        _store(ctx).get(ctx.path["clientID"])
    else:
        _by_identifier(ctx, ctx.path["identifierType"], ctx.path["identifierValue"])
    return Reply()
