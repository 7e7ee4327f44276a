"""The event bus on its own: filtering, bounded buffers that count what they drop, iteration,
and the hook thread that a plugin's failure does not stop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from riverhost.events import Event, EventBus


def completed(n: int) -> Event:
    return Event("job_completed", "default", job_id=n)


def test_a_subscriber_gets_only_the_kinds_it_asked_for_and_iterates_them_in_order():
    async def scenario():
        bus = EventBus()
        jobs = bus.subscribe(["job_completed"])
        everything = bus.subscribe()
        bus.publish(Event("queue_paused", "default"))
        for n in range(3):
            bus.publish(completed(n))
        got = []
        async for event in jobs:
            got.append(event.job_id)
            if len(got) == 3:
                break
        return got, everything.queue.qsize()

    got, everything = asyncio.run(scenario())

    assert got == [0, 1, 2]
    assert everything == 4


def test_a_full_subscriber_loses_the_newest_events_and_counts_them_without_blocking():
    async def scenario():
        bus = EventBus()
        slow = bus.subscribe(size=2)
        for n in range(5):
            bus.publish(completed(n))
        kept = [(await slow.get(1)).job_id for _ in range(2)]
        return kept, slow.dropped

    assert asyncio.run(scenario()) == ([0, 1], 3)


def test_a_closed_subscription_hears_nothing_more_and_get_times_out():
    async def scenario():
        bus = EventBus()
        subscription = bus.subscribe()
        subscription.close()
        bus.publish(completed(1))
        assert not bus.listening
        with pytest.raises(TimeoutError):
            await subscription.get(0.05)

    asyncio.run(scenario())


def test_unknown_event_kinds_are_refused_by_name():
    with pytest.raises(ValueError, match=r"unknown event kinds \['job_done'\]"):
        EventBus().subscribe(["job_done", "job_completed"])


def test_the_hook_runs_in_a_thread_of_its_own_and_goes_on_after_a_failure():
    heard: list[tuple[int | None, str]] = []
    done = threading.Event()

    def hook(event: Event) -> None:
        if event.job_id == 0:
            raise RuntimeError("a plugin's bug")
        heard.append((event.job_id, threading.current_thread().name))
        if len(heard) == 2:
            done.set()

    bus = EventBus(hook=hook)
    for n in range(3):
        bus.publish(completed(n))

    assert done.wait(10)
    assert heard == [(1, "riverhost-events"), (2, "riverhost-events")]
