"""The rescuer (leader only): brings back jobs left ``running`` by a dead or stuck attempt.

A job is rescued when the host in its last ``attempted_by`` entry stopped heartbeating (soon
after the lapse: seconds, not River's hour), or when it has run longer than its kind's timeout
plus ``rescue_margin`` on any host. Kinds' timeouts come from every live host's heartbeat, so
the leader knows them without the plugins; a kind no live host serves waits
``rescue_unknown_after``. A rescued job is cancelled if a cancel was asked, discarded when out
of attempts, otherwise retried after its kind's retry policy (River's default when this host
lacks the kind): never discarded merely because the leader lacks its plugin. Each rescue is
recorded in ``errors`` and in ``metadata["river:rescue_count"]``; the update re-checks that the
very attempt judged is still running (River issue #1302).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from riverhost import metrics
from riverhost.config import MaintenanceConfig
from riverhost.db import queries
from riverhost.durations import format_duration
from riverhost.logging import get_logger
from riverhost.maintenance._loop import every
from riverhost.registry import Registry
from riverhost.retry import RiverDefaultRetry

__all__ = ["Rescuer"]

log = get_logger("riverhost.rescuer")

_DEFAULT_RETRY = RiverDefaultRetry()


class Rescuer:
    """Finds and rescues stuck jobs every ``rescue_interval``; see the module docstring."""

    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        registry: Registry,
        config: MaintenanceConfig,
        *,
        batch_size: int = 1_000,
    ) -> None:
        self._pool = pool
        self._registry = registry
        self._config = config
        self._batch_size = batch_size

    async def run(self) -> None:
        await every(self._config.rescue_interval.total_seconds(), self.run_once, "rescuer")

    async def run_once(self) -> int:
        """One pass; returns how many jobs were rescued."""
        lapse = self._config.host_lapse
        margin = self._config.rescue_margin.total_seconds()
        async with self._pool.connection() as conn:
            live = dict(await (await conn.execute(queries.LIVE_KINDS, {"lapse": lapse})).fetchall())
            for name, kind in self._registry.kinds.items():
                live[name] = max(live.get(name, 0.0), kind.spec.timeout.total_seconds())
            unknown = self._config.rescue_unknown_after.total_seconds()
            shortest = min([t + margin for t in live.values()] + [unknown])
            params = {"lapse": lapse, "shortest": timedelta(seconds=shortest)}
            cursor = await conn.execute(
                queries.RESCUE_CANDIDATES, {**params, "limit": self._batch_size}
            )
            candidates = await cursor.fetchall()
            chosen = [r for c in candidates if (r := self._judge(c, live, margin, unknown))]
            if not chosen:
                return 0
            cursor = await conn.execute(queries.RESCUE_MANY, _columns(chosen))
            rescued = dict(await cursor.fetchall())
        reasons: dict[str, int] = {}
        for rescue in chosen:
            if rescue["id"] in rescued:
                reasons[rescue["reason"]] = reasons.get(rescue["reason"], 0) + 1
        for reason, count in reasons.items():
            metrics.JOBS_RESCUED.labels(reason).inc(count)
        log.warning(
            "rescuer.rescued",
            jobs=len(rescued),
            by_reason=reasons,
            states=sorted(set(rescued.values())),
            job_ids=sorted(rescued)[:50],
        )
        return len(rescued)

    def _judge(
        self, row: tuple[Any, ...], live: dict[str, float], margin: float, unknown: float
    ) -> dict[str, Any] | None:
        job_id, kind, attempt, max_attempts, attempted_at, errors, _cancel, host, host_gone, ran = (
            row
        )
        if host_gone:
            reason, why = "host_gone", f"its host {host} stopped heartbeating"
        else:
            horizon = live[kind] + margin if kind in live else unknown
            if float(ran) <= horizon:
                return None
            reason = "past_timeout" if kind in live else "unknown_kind"
            why = f"it ran {_seconds(ran)}, past its timeout plus margin ({_seconds(horizon)})"
        registered = self._registry.kinds.get(kind)
        policy = (registered.spec.retry if registered else None) or _DEFAULT_RETRY
        delay = policy.next_delay(attempt=attempt, error_count=len(errors or ()))
        return {
            "id": job_id,
            "attempted_at": attempted_at,
            "outcome": "discarded" if attempt >= max_attempts else "retryable",
            "delay": max(delay, timedelta(0)),
            "error": {
                "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "attempt": attempt,
                "error": f"Stuck job rescued by riverhost: {why}",
                "trace": "",
            },
            "reason": reason,
        }


def _seconds(value: float) -> str:
    return format_duration(timedelta(seconds=int(value)))


def _columns(chosen: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {
        "ids": [c["id"] for c in chosen],
        "attempted_at": [c["attempted_at"] for c in chosen],
        "outcomes": [c["outcome"] for c in chosen],
        "delays": [c["delay"] for c in chosen],
        "errors": [Jsonb(c["error"]) for c in chosen],
    }
