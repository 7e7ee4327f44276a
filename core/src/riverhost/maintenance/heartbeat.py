"""Heartbeats: each host process records itself in ``riverhost_host`` and keeps it fresh.

The row says who the host is (its id as written into ``attempted_by``), which version runs,
which queues it serves with how many workers, and every kind it works with that kind's
timeout, so the leader's rescuer knows each kind's timeout even without the plugin. A clean
stop marks the row stopped, so the rescuer need not wait for the heartbeat to lapse.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from riverhost.db import queries
from riverhost.logging import get_logger
from riverhost.maintenance._loop import every
from riverhost.registry import Registry

__all__ = ["Heartbeat"]

log = get_logger("riverhost.heartbeat")


class Heartbeat:
    """Keeps this host process's row in ``riverhost_host`` fresh."""

    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        client_id: str,
        registry: Registry,
        *,
        version: str,
        interval: timedelta,
    ) -> None:
        self._pool = pool
        self._id = client_id
        self._interval = interval.total_seconds()
        self._params: Mapping[str, Any] = {
            "id": client_id,
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "version": version,
            "queues": Jsonb({name: q.max_workers for name, q in registry.queues.items()}),
            "kinds": Jsonb(
                {
                    name: {"plugin": k.plugin.name, "timeout_s": k.spec.timeout.total_seconds()}
                    for name, k in registry.kinds.items()
                }
            ),
        }

    async def beat(self) -> None:
        """Record this host as alive now."""
        async with self._pool.connection() as conn:
            await conn.execute(queries.HOST_HEARTBEAT, self._params)

    async def run(self) -> None:
        """Beat every interval until cancelled."""
        await every(self._interval, self.beat, "heartbeat")

    async def stopped(self) -> None:
        """Mark this host stopped (on a clean exit)."""
        try:
            async with self._pool.connection() as conn:
                await conn.execute(queries.HOST_STOPPED, (self._id,))
        except psycopg.Error as exc:
            log.warning("heartbeat.stop_failed", error=str(exc))
