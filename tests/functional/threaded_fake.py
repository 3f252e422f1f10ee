"""A FakeSynerise on its own event loop in a thread, for synchronous (hypothesis) tests."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Any

import aiohttp

from synerise_async.testing import FakeSynerise
from synerise_async.testing._spec import OperationSpec


class ThreadedFake:
    """A fake on its own event loop in a thread, for synchronous hypothesis tests."""

    def __init__(self, **options: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._options = options
        self.fake: FakeSynerise
        self._http: aiohttp.ClientSession

    def __enter__(self) -> ThreadedFake:
        self._thread.start()
        self.run(self._start())
        return self

    async def _start(self) -> None:
        self.fake = FakeSynerise(**self._options)
        await self.fake.start()
        self._http = aiohttp.ClientSession()

    def run(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(timeout=30)

    def post(self, op: OperationSpec, path: str, body: Any) -> int:
        async def send() -> int:
            headers = {"Authorization": f"Bearer {self.token}", "Api-Version": "4.4"}
            async with self._http.post(self.fake.url + path, json=body, headers=headers) as resp:
                await resp.read()
                return resp.status

        return int(self.run(send()))

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            await self._http.close()
            await self.fake.stop()

        self.run(stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    @property
    def token(self) -> str:
        if not hasattr(self, "_token"):
            self._token = self.fake.issue_token("workspace")
        return self._token
