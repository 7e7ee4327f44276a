"""The loop every maintenance service runs: one pass, then a pause, forever; failures logged."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import psycopg

from riverhost._asyncio import reraise_if_cancelling
from riverhost.logging import get_logger

log = get_logger("riverhost.maintenance")


async def every(seconds: float, run_once: Callable[[], Awaitable[object]], name: str) -> None:
    """Call ``run_once`` every ``seconds`` until cancelled.

    A database error is logged once per outage (and its end) and the pass is tried again at
    the next interval; any other exception is a bug and ends the service loudly.
    """
    failing = False
    while True:
        try:
            await run_once()
        except psycopg.Error as exc:
            reraise_if_cancelling()
            if not failing:
                log.warning("maintenance.failed", service=name, error=str(exc))
            failing = True
        else:
            if failing:
                log.info("maintenance.recovered", service=name)
            failing = False
        await asyncio.sleep(seconds)
