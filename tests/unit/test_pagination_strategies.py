"""The pagination strategies' next-page decisions and the link helpers, without HTTP."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

import synerise_async as sa
from synerise_async._pagination import (
    CursorStrategy,
    LinkStrategy,
    OffsetStrategy,
    PageNumberStrategy,
    _next_link,
    link_target,
    strategy_for,
)
from synerise_async._transport import Operation, Pagination, RequestParts, Response

BASE = "https://api.synerise.com"


@attrs.frozen
class Link:
    rel: str
    url: str


def _page(parsed: Any, count: int = 2, headers: dict[str, str] | None = None) -> sa.Page[Any]:
    response = Response(status_code=200, headers=headers or {}, content=b"", parsed=parsed)
    return sa.Page(items=list(range(count)), response=response, number=1)


def test_page_number_strategy_counts_up_until_the_total_page_count() -> None:
    """The page number goes up by one and stops at the response's page count."""
    strategy = PageNumberStrategy(Pagination(style="page", page_param="page", total="pages"))
    assert strategy.next_step({"page": 1, "limit": 2}, _page({"pages": 3}), False) == {
        "page": 2,
        "limit": 2,
    }
    assert strategy.next_step({"page": 3}, _page({"pages": 3}), False) is None


def test_page_number_strategy_without_a_total_stops_at_a_short_page() -> None:
    """With no page count, a page shorter than asked for is the last."""
    strategy = PageNumberStrategy(Pagination(style="page-index", page_param="page_index"))
    assert strategy.next_step({}, _page({}), False) == {"page_index": 2}
    assert strategy.next_step({"page_index": 4}, _page({}), True) is None


def test_offset_strategy_skips_the_items_seen() -> None:
    """The offset grows by the page's item count and stops at the total."""
    strategy = OffsetStrategy(Pagination(style="offset", page_param="offset", total="total"))
    assert strategy.next_step({"offset": 2}, _page({"total": 10}), False) == {"offset": 4}
    assert strategy.next_step({"offset": 8}, _page({"total": 10}), False) is None


def test_cursor_strategy_passes_the_token_and_refuses_a_repeat() -> None:
    """The next token is passed on; a token seen before raises PaginationError."""
    strategy = CursorStrategy(
        Pagination(style="cursor", page_param="page_token", next="next"), "listThings"
    )
    assert strategy.next_step({}, _page({"next": "t1"}), False) == {"page_token": "t1"}
    assert strategy.next_step({"page_token": "t1"}, _page({"next": None}), False) is None
    with pytest.raises(sa.PaginationError, match="repeated cursor"):
        strategy.next_step({"page_token": "t2"}, _page({"next": "t1"}), False)


def test_link_strategy_prefers_the_body_link_then_the_link_header() -> None:
    """meta.link's next entry wins; without it the Link header's rel=next is followed."""
    strategy = LinkStrategy(Pagination(style="link", next="links"), "GET", BASE)
    body = {"links": [Link("prev", f"{BASE}/x?page=1"), Link("next", f"{BASE}/x?page=3")]}
    assert strategy.next_step({}, _page(body), False) == RequestParts(
        method="GET", url="/x", query=(("page", "3"),)
    )
    header = {"Link": f'<{BASE}/x?page=4&q=a%20b>; rel="next"'}
    assert strategy.next_step({}, _page({"links": []}, headers=header), False) == RequestParts(
        method="GET", url="/x", query=(("page", "4"), ("q", "a b"))
    )
    assert strategy.next_step({}, _page({"links": []}), False) is None


def test_link_strategy_without_a_link_goes_on_by_page_number() -> None:
    """With no link (includeMeta=false), a page-numbered operation reads X-Pagination-*
    headers, else goes on until a short page, instead of stopping after page one."""
    strategy = LinkStrategy(Pagination(style="link", next="links", page_param="page"), "GET", BASE)
    assert strategy.next_step({"page": 1}, _page({"links": []}), False) == {"page": 2}
    assert strategy.next_step({"page": 3}, _page({"links": []}), True) is None
    on_last = {"X-Pagination-Page": "4", "X-Pagination-Total-Pages": "4"}
    assert strategy.next_step({"page": 4}, _page({}, headers=on_last), False) is None
    before_last = {"X-Pagination-Page": "2", "X-Pagination-Total-Pages": "4"}
    assert strategy.next_step({"page": 2}, _page({}, headers=before_last), False) == {"page": 3}
    followed = RequestParts(method="GET", url="/x", query=(("page", "2"),))
    assert strategy.next_step(followed, _page({"links": []}), False) is None  # type: ignore[arg-type]


def test_next_link_reads_enum_rels_and_ignores_non_lists() -> None:
    """A rel that is an enum (generated models) is compared by value; junk gives None."""
    import enum

    class Rel(enum.Enum):
        NEXT = "next"

    assert _next_link([{"rel": Rel.NEXT, "url": "/a"}]) == "/a"
    assert _next_link("next") is None
    assert _next_link([{"rel": "next", "url": ""}]) is None


def test_link_target_strips_the_base_path_and_refuses_other_hosts() -> None:
    """A link under the base URL's path becomes a relative path; another host is refused."""
    assert link_target("https://h/api/v1/x?a=1", "https://h/api") == ("/v1/x", (("a", "1"),))
    assert link_target("/x", BASE) == ("/x", ())
    with pytest.raises(sa.PaginationError, match="another host"):
        link_target("http://api.synerise.com/x", BASE)  # a scheme change counts too


def test_strategy_for_picks_by_style_and_refuses_unknown_ones() -> None:
    """Each style maps to its strategy class; an unknown style is a ConfigurationError."""

    def op(style: str) -> Operation:
        return Operation(
            operation_id="l",
            method="GET",
            path="/l",
            tag="t",
            pagination=Pagination(style=style, page_param="p"),
        )

    assert isinstance(strategy_for(op("page"), BASE), PageNumberStrategy)
    assert isinstance(strategy_for(op("offset"), BASE), OffsetStrategy)
    assert isinstance(strategy_for(op("cursor"), BASE), CursorStrategy)
    assert isinstance(strategy_for(op("link"), BASE), LinkStrategy)
    with pytest.raises(sa.ConfigurationError, match="unknown pagination style 'scroll'"):
        strategy_for(op("scroll"), BASE)


def _camel(path: str) -> str:
    """``meta_data.total_count`` -> ``metaData.totalCount`` (how the spec spells these paths)."""
    return ".".join(
        head + "".join(part.title() for part in rest)
        for head, *rest in (segment.split("_") for segment in path.split("."))
    )


def test_every_generated_pagination_record_carries_its_json_key_paths() -> None:
    """Each paginated operation's record has JSON-key twins of its attribute paths and 200 as its status."""
    from synerise_async.api import REGISTRY, load

    records = [load(op_id).OPERATION.pagination for op_id, e in REGISTRY.items() if e.pagination]
    assert len(records) > 20
    for p in records:
        assert (p.items_key, p.total_key, p.next_key) == (
            _camel(p.items),
            p.total and _camel(p.total),
            p.next and _camel(p.next),
        ), p
        assert p.statuses == (200,)
