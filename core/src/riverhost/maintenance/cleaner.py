"""The cleaner (leader only): deletes finalized jobs once their retention has passed.

Retention per final state comes from ``maintenance.retention`` (completed 24 h, cancelled 24 h,
discarded 7 days; ``null`` keeps them). Deletes go in batches of ``batch_size`` rows, each its
own short statement on the (state, finalized_at) index, so the hot path never waits behind a
long delete. Hosts silent for a day are forgotten too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from psycopg_pool import AsyncConnectionPool

from riverhost.config import MaintenanceConfig
from riverhost.db import queries
from riverhost.logging import get_logger
from riverhost.maintenance._loop import every

__all__ = ["Cleaner"]

log = get_logger("riverhost.cleaner")

FORGET_HOSTS_AFTER = timedelta(days=1)


class Cleaner:
    """Deletes expired finalized jobs every ``clean_interval``."""

    def __init__(
        self, pool: AsyncConnectionPool[Any], config: MaintenanceConfig, *, batch_size: int = 10_000
    ) -> None:
        self._pool = pool
        self._config = config
        self._batch_size = batch_size

    async def run(self) -> None:
        await every(self._config.clean_interval.total_seconds(), self.run_once, "cleaner")

    async def run_once(self) -> dict[str, int]:
        """One pass; returns how many jobs were deleted per state."""
        retention = self._config.retention
        deleted: dict[str, int] = {}
        for state in ("completed", "cancelled", "discarded"):
            keep: timedelta | None = getattr(retention, state)
            if keep is None:
                continue
            while True:
                async with self._pool.connection() as conn:
                    params = {"state": state, "keep": keep, "limit": self._batch_size}
                    count = (await conn.execute(queries.CLEAN, params)).rowcount
                deleted[state] = deleted.get(state, 0) + count
                if count < self._batch_size:
                    break
        async with self._pool.connection() as conn:
            await conn.execute(queries.HOSTS_FORGET, {"keep": FORGET_HOSTS_AFTER})
        if any(deleted.values()):
            log.info("cleaner.deleted", **deleted)
        return deleted
