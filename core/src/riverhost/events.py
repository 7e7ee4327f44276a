"""Events: what happened to jobs and queues, for subscribers in the process and for plugins.

The host publishes an :class:`Event` when an outcome is written (``job_completed``,
``job_failed``, ``job_cancelled``, ``job_snoozed``, ``job_discarded``) and when it applies a
pause or resume (``queue_paused``, ``queue_resumed``). :meth:`EventBus.subscribe` gives an
async iterator with a bounded buffer of its own; the ``riverhost_event`` plugin hook is called
from a thread of its own. Publishing never waits: a subscriber (or hook) that falls behind
loses events, counted and logged, and the engine goes on.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

from riverhost.logging import get_logger

__all__ = ["EVENT_KINDS", "Event", "EventBus", "Subscription"]

log = get_logger("riverhost.events")

EVENT_KINDS = frozenset(
    {
        "job_completed",
        "job_failed",
        "job_cancelled",
        "job_snoozed",
        "job_discarded",
        "queue_paused",
        "queue_resumed",
    }
)


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened. Job events carry the job's id, kind, attempt and duration."""

    kind: str
    queue: str
    job_id: int | None = None
    job_kind: str | None = None
    attempt: int | None = None
    duration_s: float | None = None
    state: str | None = None
    error: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


class Subscription:
    """An async iterator over events of the kinds asked for; close it when done."""

    def __init__(self, bus: EventBus, kinds: frozenset[str] | None, size: int) -> None:
        self._bus = bus
        self.kinds = kinds
        self.queue: asyncio.Queue[Event] = asyncio.Queue(size)
        self.dropped = 0

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._events()

    async def _events(self) -> AsyncIterator[Event]:
        while True:
            yield await self.queue.get()

    async def get(self, timeout: float | None = None) -> Event:
        """The next event (waits up to ``timeout`` seconds; :class:`TimeoutError` after)."""
        return await asyncio.wait_for(self.queue.get(), timeout)

    def close(self) -> None:
        self._bus._subscriptions.discard(self)


class EventBus:
    """Fans events out to subscriptions and to a hook, never blocking the publisher."""

    def __init__(self, hook: Callable[[Event], object] | None = None, size: int = 1000) -> None:
        self._subscriptions: set[Subscription] = set()
        self._hook = hook
        self._hook_queue: list[Event] = []
        self._hook_size = size
        self._hook_wake = threading.Condition()
        self._hook_dropped = 0
        self._hook_thread: threading.Thread | None = None

    def subscribe(self, kinds: Collection[str] | None = None, size: int = 1000) -> Subscription:
        """Receive events of ``kinds`` (all if None) through a buffer of ``size`` events."""
        if kinds is not None and (unknown := set(kinds) - EVENT_KINDS):
            raise ValueError(f"unknown event kinds {sorted(unknown)}; known: {sorted(EVENT_KINDS)}")
        subscription = Subscription(self, None if kinds is None else frozenset(kinds), size)
        self._subscriptions.add(subscription)
        return subscription

    @property
    def listening(self) -> bool:
        """Whether anyone would hear an event (publishers may skip building one otherwise)."""
        return bool(self._subscriptions) or self._hook is not None

    def publish(self, event: Event) -> None:
        """Hand ``event`` to every interested subscriber and to the hook; never waits."""
        for subscription in list(self._subscriptions):
            if subscription.kinds is not None and event.kind not in subscription.kinds:
                continue
            try:
                subscription.queue.put_nowait(event)
            except asyncio.QueueFull:
                subscription.dropped += 1
                if subscription.dropped in (1, 100, 10_000):
                    log.warning("events.dropped", dropped=subscription.dropped)
        if self._hook is not None:
            self._to_hook(event)

    def _to_hook(self, event: Event) -> None:
        with self._hook_wake:
            if len(self._hook_queue) >= self._hook_size:
                self._hook_dropped += 1
                if self._hook_dropped in (1, 100, 10_000):
                    log.warning("events.hook_dropped", dropped=self._hook_dropped)
                return
            self._hook_queue.append(event)
            self._hook_wake.notify()
        if self._hook_thread is None:
            self._hook_thread = threading.Thread(
                target=self._deliver, name="riverhost-events", daemon=True
            )
            self._hook_thread.start()

    def _deliver(self) -> None:
        assert self._hook is not None
        while True:
            with self._hook_wake:
                while not self._hook_queue:
                    self._hook_wake.wait()
                batch, self._hook_queue = self._hook_queue, []
            for event in batch:
                try:
                    self._hook(event)
                except Exception:  # a plugin's bug must not end delivery to the others
                    log.exception("events.hook_failed", event_kind=event.kind)
