"""Catalogs ("bags") and their items (``catalogs.yaml``); limit/offset with ``metaData``."""

from __future__ import annotations

import csv
import io
import random
from typing import Any, Final

import orjson

from .._state import iso_millis
from ._base import ApiError, Ctx, Reply, handles, not_found

DEFAULT_LIMIT: Final = 100
_BRANDS: Final = ("Acme", "Globex", "Initech", "Umbrella", "Stark")
_TITLES: Final = ("Jeans", "T-shirt", "Sneakers", "Jacket", "Cap", "Scarf", "Socks")


class CatalogStore:
    """Catalogs by id, each with items by id and by ``itemKey``."""

    def __init__(
        self, count: int, items_each: int, rng: random.Random, *, workspace_id: int, now_ms: int
    ) -> None:
        self.workspace_id = workspace_id
        self.bags: dict[int, dict[str, Any]] = {}
        self.items: dict[int, dict[int, dict[str, Any]]] = {}
        self.keys: dict[int, dict[str, int]] = {}
        self._next_bag = 1050
        self._next_item = 73_750
        for index in range(count):
            bag = self.create(f"catalog-{index + 1}", now_ms - 86_400_000 * (count - index))
            for number in range(items_each):
                self.put_item(
                    bag["id"],
                    f"SKU-{index + 1}-{number + 1:05d}",
                    {
                        "title": rng.choice(_TITLES),
                        "brand": rng.choice(_BRANDS),
                        "price": round(rng.uniform(5, 300), 2),
                    },
                    now_ms,
                )

    def create(self, name: str, now_ms: int) -> dict[str, Any]:
        self._next_bag += 1
        stamp = iso_millis(now_ms)
        bag: dict[str, Any] = {
            "id": self._next_bag,
            "name": name,
            "author": "fake",
            "businessProfileId": self.workspace_id,
            "creationDate": stamp,
            "lastModified": stamp,
            "beforeFiltering": False,
            "fields": [],
            "mappings": [],
            "primaryKey": None,
            "createdBy": -1,
            "modifiedBy": -1,
        }
        self.bags[self._next_bag] = bag
        self.items[self._next_bag] = {}
        self.keys[self._next_bag] = {}
        return bag

    def bag(self, catalog_id: int) -> dict[str, Any]:
        bag = self.bags.get(catalog_id)
        if bag is None:
            raise not_found("Catalog")
        return bag

    def delete(self, catalog_id: int) -> bool:
        if self.bags.pop(catalog_id, None) is None:
            return False
        del self.items[catalog_id]
        del self.keys[catalog_id]
        return True

    def put_item(
        self, catalog_id: int, item_key: str, value: dict[str, Any], now_ms: int
    ) -> dict[str, Any]:
        bag = self.bag(catalog_id)
        stamp = iso_millis(now_ms)
        existing = self.keys[catalog_id].get(item_key)
        if existing is not None:
            item = self.items[catalog_id][existing]
            item["value"] = orjson.dumps(value).decode()
            item["lastModified"] = stamp
        else:
            self._next_item += 1
            item = {
                "id": self._next_item,
                "itemKey": item_key,
                "value": orjson.dumps(value).decode(),
                "creationDate": stamp,
                "lastModified": None,
                "bag": _summary(bag),
            }
            self.items[catalog_id][item["id"]] = item
            self.keys[catalog_id][item_key] = item["id"]
        for field in value:
            if field not in bag["fields"]:
                bag["fields"].append(field)
        bag["lastModified"] = stamp
        return item


def _summary(bag: dict[str, Any]) -> dict[str, Any]:
    return {k: bag[k] for k in ("id", "name", "author", "creationDate", "lastModified")}


def _meta(ctx: Ctx, total: int) -> dict[str, Any]:
    return {"totalCount": total, "requestTime": "0.00 [s]"}


def _page(ctx: Ctx, items: list[dict[str, Any]]) -> dict[str, Any]:
    offset, limit = int(ctx.query.get("offset", 0)), int(ctx.query.get("limit", DEFAULT_LIMIT))
    return {"data": items[offset : offset + limit], "metaData": _meta(ctx, len(items))}


def _catalogs(ctx: Ctx) -> CatalogStore:
    return ctx.state.catalogs


def _now_ms(ctx: Ctx) -> int:
    return int(ctx.now * 1000)


@handles("listCatalogs")
def list_catalogs(ctx: Ctx) -> Any:
    bags = list(_catalogs(ctx).bags.values())
    if "searchBy" in ctx.query:
        needle = str(ctx.query["searchBy"]).lower()
        bags = [b for b in bags if needle in b["name"].lower()]
    order = ctx.query.get("orderBy", "id")
    bags.sort(key=lambda b: (b.get(order) or "", b["id"]) if order != "id" else (b["id"],))
    return _page(ctx, bags)


@handles("createCatalog")
def create_catalog(ctx: Ctx) -> Any:
    store = _catalogs(ctx)
    # Names need not be unique: the spec states no such rule.
    return {"data": store.create(ctx.body["name"], _now_ms(ctx)), "metaData": _meta(ctx, 1)}


@handles("deleteCatalogs")
def delete_catalogs(ctx: Ctx) -> Any:
    store = _catalogs(ctx)
    results = []
    for text in ctx.body:
        ok = text.isdigit() and store.delete(int(text))
        results.append({"id": text, "result": bool(ok)})
    return {"data": results, "metaData": _meta(ctx, len(results))}


@handles("getCatalog")
def get_catalog(ctx: Ctx) -> Any:
    return {"data": _catalogs(ctx).bag(ctx.path["catalogId"]), "metaData": _meta(ctx, 1)}


@handles("deleteCatalog")
def delete_catalog(ctx: Ctx) -> Any:
    if not _catalogs(ctx).delete(ctx.path["catalogId"]):
        raise not_found("Catalog")
    return {"data": True, "metaData": _meta(ctx, 1)}


@handles("exportCatalogCsv")
def export_csv(ctx: Ctx) -> Any:
    store = _catalogs(ctx)
    bag = store.bag(ctx.path["catalogId"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["item_key", *bag["fields"]])
    for item in store.items[bag["id"]].values():
        value = orjson.loads(item["value"])
        writer.writerow([item["itemKey"], *(value.get(f, "") for f in bag["fields"])])
    return Reply(body=out.getvalue(), media="text/csv")


@handles("listCatalogItems")
def list_items(ctx: Ctx) -> Any:
    store = _catalogs(ctx)
    catalog_id = ctx.path["catalogId"]
    store.bag(catalog_id)
    items = list(store.items[catalog_id].values())
    if "itemKey" in ctx.query:
        items = [i for i in items if i["itemKey"] == ctx.query["itemKey"]]
    if "searchBy" in ctx.query:
        needle = str(ctx.query["searchBy"]).lower()
        items = [i for i in items if needle in i["value"].lower() or needle in i["itemKey"].lower()]
    return _page(ctx, items)


@handles("listAllCatalogItems")
def list_all_items(ctx: Ctx) -> Any:
    items = [item for bag in _catalogs(ctx).items.values() for item in bag.values()]
    return _page(ctx, items)


@handles("addCatalogItem")
def add_item(ctx: Ctx) -> Any:
    _catalogs(ctx).put_item(
        ctx.path["catalogId"], ctx.body["itemKey"], ctx.body["value"], _now_ms(ctx)
    )
    return True


@handles("addCatalogItemsBatch")
def add_items(ctx: Ctx) -> Any:
    store = _catalogs(ctx)
    store.bag(ctx.path["catalogId"])
    for entry in ctx.body:
        store.put_item(ctx.path["catalogId"], entry["itemKey"], entry["value"], _now_ms(ctx))
    return True


@handles("getCatalogItemsByIds", "getCatalogItemList")
def items_by_ids(ctx: Ctx) -> Any:
    store = _catalogs(ctx)
    catalog_id = ctx.path["catalogId"]
    store.bag(catalog_id)
    bag_items = store.items[catalog_id]
    found = [bag_items[i] for i in ctx.body if i in bag_items]
    return {"data": found, "metaData": _meta(ctx, len(found))}


@handles("importCatalogItemsFromUrl")
def import_from_url(ctx: Ctx) -> Any:
    _catalogs(ctx).bag(ctx.path["catalogId"])
    return True


@handles("uploadCatalogItems")
def upload_items(ctx: Ctx) -> Any:
    store = _catalogs(ctx)
    catalog_id = ctx.path["catalogId"]
    store.bag(catalog_id)
    payload = ctx.body.get("file") if isinstance(ctx.body, dict) else None
    if payload is None:
        raise ApiError(400, "file: is required")
    text = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else str(payload)
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        key = row.pop("item_key", None) or row.pop("itemKey", None)
        if key:
            store.put_item(catalog_id, key, row, _now_ms(ctx))
    return True


def _item(ctx: Ctx) -> dict[str, Any]:
    store = _catalogs(ctx)
    catalog_id = ctx.path["catalogId"]
    store.bag(catalog_id)
    if "itemKey" in ctx.path:
        item_id = store.keys[catalog_id].get(ctx.path["itemKey"])
    else:
        item_id = ctx.path["itemId"]
    item = store.items[catalog_id].get(item_id) if item_id is not None else None
    if item is None:
        raise not_found("Catalog item")
    return item


@handles("getCatalogItem", "getCatalogItemByKey")
def get_item(ctx: Ctx) -> Any:
    return {"data": _item(ctx), "metaData": _meta(ctx, 1)}


@handles("deleteCatalogItem")
def delete_item(ctx: Ctx) -> Any:
    item = _item(ctx)
    store = _catalogs(ctx)
    catalog_id = ctx.path["catalogId"]
    del store.items[catalog_id][item["id"]]
    del store.keys[catalog_id][item["itemKey"]]
    return True


@handles("listCatalogKeys")
def list_keys(ctx: Ctx) -> Any:
    fields = list(_catalogs(ctx).bag(ctx.path["catalogId"])["fields"])
    return {"data": fields, "metaData": _meta(ctx, len(fields))}


@handles("createCatalogMapping")
def create_mapping(ctx: Ctx) -> Any:
    bag = _catalogs(ctx).bag(ctx.path["catalogId"])
    action, param = ctx.body["action"], ctx.body["paramKey"]
    bag["mappings"].append(
        {
            "action": action,
            "bagId": bag["id"],
            "bpActionParamKey": f"{action}_{param}",
            "paramKey": param,
        }
    )
    mapping = {
        "action": action,
        "bagId": str(bag["id"]),
        "bpActionParamKey": f"{action}_{param}",
        "businessProfileId": bag["businessProfileId"],
        "paramKey": param,
    }
    return {"data": mapping, "metaData": _meta(ctx, 1)}
