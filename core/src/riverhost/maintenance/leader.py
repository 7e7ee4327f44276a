"""Leader election through River's ``river_leader`` lease, with River's protocol and timings.

Every host bids; the one whose INSERT takes the single row leads for ``ttl`` (15 s) and renews
every ``interval`` (5 s) for the term it won. Followers bid every 5-6 s, at once when the
leader resigns (``river_leadership`` notification, which :meth:`Elector.wake` receives), and
just after the holder's lease lapses (so a crashed leader is replaced within the lease, not
up to a bid interval later). A
leader that cannot renew within ``ttl`` minus a second of its last renewal steps down before
its lease can lapse, so two hosts never both believe they lead. ``on_change`` is called with
True when this host starts leading and False when it stops; it starts and stops the leader's
services. Go River clients on the same database take part in the same election.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from riverhost import metrics
from riverhost._asyncio import reraise_if_cancelling
from riverhost.db import queries
from riverhost.logging import get_logger

__all__ = ["Elector"]

log = get_logger("riverhost.leader")


class Elector:
    """Takes part in the election for one host process; see the module docstring."""

    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        client_id: str,
        on_change: Callable[[bool], None],
        *,
        ttl: timedelta = timedelta(seconds=15),
        interval: timedelta = timedelta(seconds=5),
    ) -> None:
        self._pool = pool
        self._id = client_id
        self._on_change = on_change
        self._ttl = ttl
        self._interval = interval.total_seconds()
        self._term: datetime | None = None
        self._renewed = 0.0
        self._wake = asyncio.Event()
        self._lease_left: float | None = None

    @property
    def is_leader(self) -> bool:
        """Whether this host process leads right now."""
        return self._term is not None

    def wake(self) -> None:
        """Bid now (the leader resigned)."""
        self._wake.set()

    async def run(self) -> None:
        """Bid, lead and renew until cancelled; resign (see :meth:`resign`) separately."""
        while True:
            try:
                if self._term is None:
                    await self._elect()
                else:
                    await self._renew()
            except psycopg.Error as exc:
                reraise_if_cancelling()
                log.warning("leader.db_failed", error=str(exc), leading=self.is_leader)
            if self._term is not None and time.monotonic() - self._renewed > self._trust():
                self._step_down("could not renew its lease in time")
            pause = self._interval if self._term is not None else self._next_bid()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)
            if self._wake.is_set():
                self._wake.clear()
                await asyncio.sleep(random.uniform(0, 0.05))  # River's 0-50 ms, to spread bids

    async def resign(self) -> None:
        """Give the lease up now and tell the fleet, so another host takes over at once."""
        if self._term is None:
            return
        self._step_down("resigned")
        try:
            async with self._pool.connection() as conn:
                await conn.execute(queries.LEADER_RESIGN, {"id": self._id})
        except psycopg.Error as exc:
            log.warning("leader.resign_failed", error=str(exc))

    def _next_bid(self) -> float:
        """River's 5-6 s between bids, or sooner: just after the holder's lease lapses."""
        pause = self._interval + random.random()
        if self._lease_left is not None:
            pause = min(pause, max(self._lease_left, 0.0) + random.uniform(0.01, 0.05))
        return pause

    def _trust(self) -> float:
        return self._ttl.total_seconds() - 1.0

    async def _elect(self) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute(queries.LEADER_EXPIRE)
            cursor = await conn.execute(queries.LEADER_ELECT, {"id": self._id, "ttl": self._ttl})
            row = await cursor.fetchone()
        term, lease_left = row if row is not None else (None, None)
        self._lease_left = lease_left
        if term is not None:
            self._term = term
            self._renewed = time.monotonic()
            log.info("leader.elected", client_id=self._id)
            metrics.LEADER.set(1)
            self._on_change(True)

    async def _renew(self) -> None:
        params = {"id": self._id, "ttl": self._ttl, "term": self._term}
        async with self._pool.connection() as conn:
            row = await (await conn.execute(queries.LEADER_RENEW, params)).fetchone()
        if row is None:
            self._step_down("its lease was lost")
        else:
            self._renewed = time.monotonic()

    def _step_down(self, why: str) -> None:
        if self._term is None:
            return
        self._term = None
        log.info("leader.lost", client_id=self._id, reason=why)
        metrics.LEADER.set(0)
        self._on_change(False)
