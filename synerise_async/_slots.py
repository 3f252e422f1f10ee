"""The client's concurrency slots: a FIFO counting semaphore with a synchronous fast path.

``asyncio.Semaphore`` costs five Python calls per request even when a slot is free
(``__aenter__``, ``acquire``, ``locked``, ``__aexit__``, ``release``). Here a free slot is
taken by one plain call (:meth:`Slots.try_acquire`); only a caller that must wait awaits.
A released slot is handed straight to the oldest waiter, so waiters are served in order
and a newcomer cannot overtake them.
"""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["Slots"]


class Slots:
    """At most ``size`` holders at once; ``try_acquire`` or ``await acquire()``, then ``release()``."""

    __slots__ = ("_free", "_waiters")

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def free(self) -> int:
        """Slots nobody holds (0 while anyone waits)."""
        return self._free

    def try_acquire(self) -> bool:
        """Take a slot if one is free (then nobody is waiting: a release serves waiters first)."""
        if self._free > 0:
            self._free -= 1
            return True
        return False

    async def acquire(self) -> None:
        """Wait for a slot (call after :meth:`try_acquire` returned False)."""
        if self.try_acquire():
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if not waiter.cancelled():
                # The slot was handed to us just as we were cancelled: pass it on.
                self.release()
            # A cancelled waiter stays queued; release() skips it.
            raise

    def release(self) -> None:
        """Give a slot back: to the oldest live waiter, else to the pool.

        Invariant: ``_free > 0`` only when no waiter is queued, since a release empties the
        queue (dropping cancelled waiters) before it adds to the pool.
        """
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1
