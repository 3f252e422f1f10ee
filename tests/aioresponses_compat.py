"""aioresponses 0.7.9 builds ClientResponse without ``stream_writer``, which aiohttp >= 3.14
requires (aioresponses issue #289). This response class supplies it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses


class _NoStream:
    """Stands in for the request's stream writer: nothing was written."""

    output_size = 0


class CompatResponse(aiohttp.ClientResponse):
    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _NoStream())
        super().__init__(method, url, **kwargs)


class CompatMock(aioresponses):
    """aioresponses whose registered responses use :class:`CompatResponse`."""

    def add(self, url: Any, method: str = "GET", *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        kwargs.setdefault("response_class", CompatResponse)
        super().add(url, method, *args, **kwargs)


@pytest.fixture
def mocked() -> Iterator[CompatMock]:
    with CompatMock() as mock:
        yield mock
