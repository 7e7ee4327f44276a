"""The periodic-job enqueuer (leader only): inserts each declared periodic job once per tick.

On becoming leader it inserts the current tick of every job declared ``run_on_start``, then
sleeps until the next tick of any job, inserts what is due and computes the next ticks. Each
insert carries the tick's unique key (:meth:`riverhost.periodic.PeriodicJob.unique_key`) with
every state in its mask, so a tick already fired by an earlier leader comes back as a
duplicate instead of firing again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import psycopg

from riverhost._asyncio import reraise_if_cancelling
from riverhost.args import InsertOpts
from riverhost.client import AsyncClient, InsertParams
from riverhost.logging import get_logger
from riverhost.periodic import PeriodicJob

__all__ = ["PeriodicEnqueuer"]

log = get_logger("riverhost.periodic")

_EVERY_STATE = 0xFF


class PeriodicEnqueuer:
    """Inserts periodic jobs on their ticks while this host leads."""

    def __init__(self, client: AsyncClient, jobs: Sequence[PeriodicJob]) -> None:
        self._client = client
        self._jobs = list(jobs)

    async def run(self) -> None:
        if not self._jobs:
            return
        now = datetime.now(UTC)
        due = {job.id: job.tick_after(now) for job in self._jobs}
        starting = [(job, job.tick_at_or_before(now)) for job in self._jobs if job.run_on_start]
        await self._insert(starting)
        while True:
            wake = min(due.values())
            await asyncio.sleep(max(0.0, (wake - datetime.now(UTC)).total_seconds()))
            now = datetime.now(UTC)
            ready = [(job, due[job.id]) for job in self._jobs if due[job.id] <= now]
            await self._insert(ready)
            for job, _tick in ready:
                due[job.id] = job.tick_after(now)  # a tick missed while lagging is skipped

    async def _insert(self, ticks: list[tuple[PeriodicJob, datetime]]) -> None:
        if not ticks:
            return
        items = [
            InsertParams(
                job.args,
                _with_metadata(job, tick),
                unique=(job.unique_key(tick), _EVERY_STATE),
            )
            for job, tick in ticks
        ]
        try:
            results = await self._client.insert_many(items)
        except psycopg.Error as exc:
            reraise_if_cancelling()
            log.warning("periodic.insert_failed", error=str(exc), jobs=[j.id for j, _ in ticks])
            return
        for (job, tick), result in zip(ticks, results, strict=True):
            log.info(
                "periodic.enqueued" if not result.duplicate else "periodic.already_enqueued",
                periodic_job=job.id,
                tick=tick.isoformat(),
                job_id=result.job.id,
            )


def _with_metadata(job: PeriodicJob, tick: datetime) -> InsertOpts:
    opts = job.opts or InsertOpts()
    metadata = {**(opts.metadata or {}), **job.metadata(tick)}
    return opts.model_copy(update={"metadata": metadata})
