"""AI search index configurations (``search.yaml``): link-paginated listings.

With ``includeMeta=true`` the page links are in ``meta.link``; otherwise they come in
the ``Link`` and ``X-Pagination-*`` headers, as the reference describes.
"""

from __future__ import annotations

import math
import random
from typing import Any, Final
from urllib.parse import urlencode

from .._state import iso_millis
from ._base import Ctx, Reply, handles, not_found

DEFAULT_LIMIT: Final = 20
_LANGUAGES: Final = ("pl", "en", "de", "fr", "es")


class SearchStore:
    """Search and suggestion index configurations by id."""

    def __init__(self, count: int, rng: random.Random, *, now_ms: int) -> None:
        self.indices: dict[str, dict[str, Any]] = {}
        self.suggestions: dict[str, dict[str, Any]] = {}
        self._rng = rng
        for n in range(count):
            self.create_index(
                {"indexName": f"Index {n + 1:03d}", "language": rng.choice(_LANGUAGES)},
                now_ms - 60_000 * (count - n),
            )
        for n in range(min(count, 3)):
            stamp = iso_millis(now_ms)
            index_id = f"{rng.getrandbits(48):012x}"
            self.suggestions[index_id] = {
                "indexId": index_id,
                "indexName": f"Suggestions {n + 1}",
                "enabled": True,
                "author": 4711,
                "sources": {"indices": []},
                "denylist": [],
                "createdAt": stamp,
                "updatedAt": stamp,
            }

    def create_index(self, config: dict[str, Any], now_ms: int) -> dict[str, Any]:
        index_id = f"{self._rng.getrandbits(48):012x}"
        stamp = iso_millis(now_ms)
        index = {
            "indexId": index_id,
            "indexName": "index",
            "enabled": True,
            "itemsCatalogId": "",
            "language": "en",
            "createdAt": stamp,
            "updatedAt": stamp,
            "ignoreUnavailableItems": True,
            "typoToleranceOnNumericValues": False,
            "searchableAttributes": {
                "fullText": [],
                "fullTextBoosted": [],
                "fullTextStronglyBoosted": ["title"],
            },
            "displayableAttributes": ["itemId", "title"],
            **config,
        }
        self.indices[index_id] = index
        return index


def _store(ctx: Ctx) -> SearchStore:
    return ctx.state.search


def _paged_listing(ctx: Ctx, items: list[dict[str, Any]]) -> Reply:
    query = ctx.query
    page, limit = int(query.get("page", 1)), int(query.get("limit", DEFAULT_LIMIT))
    page, limit = max(page, 1), max(limit, 1)
    total_pages = max(1, math.ceil(len(items) / limit))
    start = (page - 1) * limit

    def url(number: int) -> str:
        params = {k: v for k, v in ctx.request.query.items() if k not in ("page", "limit")}
        params.update(page=str(number), limit=str(limit))
        return f"{ctx.state.url}{ctx.op.path}?{urlencode(params)}"

    links = [{"rel": "first", "url": url(1)}]
    if page > 1:
        links.append({"rel": "prev", "url": url(page - 1)})
    if page < total_pages:
        links.append({"rel": "next", "url": url(page + 1)})
    links.append({"rel": "last", "url": url(total_pages)})
    meta = {
        "code": 200,
        "limit": limit,
        "page": page,
        "totalCount": len(items),
        "totalPages": total_pages,
        "sortedBy": query.get("sortBy", "updatedAt"),
        "ordering": query.get("ordering", "desc"),
        "link": links,
    }
    body: dict[str, Any] = {"data": items[start : start + limit]}
    if query.get("includeMeta"):
        body["meta"] = meta
        return Reply(body=body)
    headers = {
        "Link": ", ".join(f'<{link["url"]}>; rel="{link["rel"]}"' for link in links),
        "X-Pagination-Total-Count": str(len(items)),
        "X-Pagination-Total-Pages": str(total_pages),
        "X-Pagination-Page": str(page),
        "X-Pagination-Limit": str(limit),
        "X-Pagination-Sorted-By": str(meta["sortedBy"]),
        "X-Pagination-Ordering": str(meta["ordering"]),
    }
    return Reply(body=body, headers=headers)


def _filtered(ctx: Ctx, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for key in ("name", "query"):
        if key in ctx.query:
            needle = str(ctx.query[key]).lower()
            items = [i for i in items if needle in str(i.get("indexName", "")).lower()]
    return items


@handles("listSearchIndices")
def list_indices(ctx: Ctx) -> Any:
    return _paged_listing(ctx, _filtered(ctx, list(_store(ctx).indices.values())))


@handles("listSuggestionIndices")
def list_suggestion_indices(ctx: Ctx) -> Any:
    return _paged_listing(ctx, _filtered(ctx, list(_store(ctx).suggestions.values())))


@handles("createSearchIndex")
def create_index(ctx: Ctx) -> Any:
    return _store(ctx).create_index(dict(ctx.body), int(ctx.now * 1000))


def _index(ctx: Ctx) -> dict[str, Any]:
    index = _store(ctx).indices.get(str(ctx.path["indexId"]))
    if index is None:
        raise not_found("Index")
    return index


@handles("getSearchIndexConfig")
def get_index(ctx: Ctx) -> Any:
    return _index(ctx)


@handles("updateSearchIndexConfig")
def update_index(ctx: Ctx) -> Any:
    index = _index(ctx)
    index.update(ctx.body)
    index["updatedAt"] = iso_millis(int(ctx.now * 1000))
    return index


@handles("deleteSearchIndexConfig")
def delete_index(ctx: Ctx) -> Any:
    index = _index(ctx)
    del _store(ctx).indices[index["indexId"]]
    return Reply()


@handles("getSearchIndexState")
def index_state(ctx: Ctx) -> Any:
    index = _index(ctx)
    return {
        "indexId": index["indexId"],
        "state": "ReadyUpToDate",
        "lastConfigChange": index["updatedAt"],
        "errorReason": None,
        "log": None,
    }
