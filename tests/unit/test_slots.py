"""The client's concurrency slots (synerise_async._slots.Slots)."""

from __future__ import annotations

import asyncio

import pytest

from synerise_async._slots import Slots


async def test_free_slots_are_taken_without_waiting_until_none_is_left() -> None:
    """try_acquire succeeds exactly `size` times, then refuses."""
    slots = Slots(2)
    assert slots.try_acquire() and slots.try_acquire()
    assert not slots.try_acquire()
    assert slots.free == 0
    slots.release()
    assert slots.free == 1


async def test_waiters_are_served_in_arrival_order() -> None:
    """Released slots go to waiters first come, first served."""
    slots = Slots(1)
    assert slots.try_acquire()
    served: list[int] = []

    async def wait(n: int) -> None:
        await slots.acquire()
        served.append(n)

    tasks = [asyncio.create_task(wait(n)) for n in range(3)]
    await asyncio.sleep(0)
    for _ in range(3):
        slots.release()
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert served == [0, 1, 2]
    assert slots.free == 0


async def test_a_newcomer_cannot_overtake_a_waiter() -> None:
    """A slot released while someone waits is handed to the waiter, not left for try_acquire."""
    slots = Slots(1)
    assert slots.try_acquire()
    waiter = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    slots.release()
    assert not slots.try_acquire()
    await waiter
    assert slots.free == 0


async def test_a_cancelled_waiter_is_skipped() -> None:
    """Cancelling a waiter loses no slot: the next release serves the next waiter."""
    slots = Slots(1)
    assert slots.try_acquire()
    first = asyncio.create_task(slots.acquire())
    second = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    slots.release()
    await asyncio.wait_for(second, 1)
    slots.release()
    assert slots.free == 1


async def test_a_slot_handed_over_to_a_task_cancelled_meanwhile_is_passed_on() -> None:
    """A waiter cancelled after it was given a slot gives it to the next waiter."""
    slots = Slots(1)
    assert slots.try_acquire()
    first = asyncio.create_task(slots.acquire())
    second = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    slots.release()  # handed to `first`, which has not run yet
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)
    assert slots.free == 0
    slots.release()
    assert slots.free == 1


async def test_holders_never_exceed_the_size() -> None:
    """Under contention at most `size` tasks hold a slot at once, and all finish."""
    slots = Slots(3)
    holding = 0
    peak = 0

    async def work() -> None:
        nonlocal holding, peak
        if not slots.try_acquire():
            await slots.acquire()
        try:
            holding += 1
            peak = max(peak, holding)
            await asyncio.sleep(0)
        finally:
            holding -= 1
            slots.release()

    await asyncio.gather(*(work() for _ in range(50)))
    assert peak == 3
    assert slots.free == 3
