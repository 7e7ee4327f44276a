"""The record of operator actions: who inserted, cancelled, retried, deleted, paused or resumed
what, through the admin API or the CLI, and when (table ``riverhost_activity``).

Written beside the action, best effort: an action that succeeded is never undone because its
record could not be written (that is logged at WARNING instead). Read by the admin API and the
dashboard; pruned by the maintenance plugin's ``activity_cleanup``.
"""

from __future__ import annotations

import getpass
from typing import Any, Literal

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from riverhost.db import queries
from riverhost.logging import get_logger

__all__ = ["Via", "os_user", "record", "record_sync"]

log = get_logger("riverhost.activity")

Via = Literal["api", "cli"]


def os_user() -> str:
    """Who runs this process, as the CLI records its actions."""
    try:
        return getpass.getuser()[:128] or "unknown"
    except (KeyError, OSError):  # no passwd entry (containers) and no USER variable
        return "unknown"


def _params(
    actor: str, via: Via, action: str, job_id: int | None, queue: str | None, detail: Any
) -> dict[str, Any]:
    return {
        "actor": actor[:128] or "unknown",
        "via": via,
        "action": action,
        "job_id": job_id,
        "queue": queue,
        "detail": Jsonb(detail or {}),
    }


async def record(
    pool: AsyncConnectionPool[Any],
    actor: str,
    via: Via,
    action: str,
    *,
    job_id: int | None = None,
    queue: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record one action (see the module docstring: never raises for a database error)."""
    try:
        async with pool.connection() as conn:
            await conn.execute(
                queries.ACTIVITY_RECORD, _params(actor, via, action, job_id, queue, detail)
            )
    except psycopg.Error as exc:
        log.warning("activity.not_recorded", action=action, job_id=job_id, error=str(exc))


def record_sync(
    pool: ConnectionPool[Any],
    actor: str,
    via: Via,
    action: str,
    *,
    job_id: int | None = None,
    queue: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """:func:`record` for blocking callers (the CLI)."""
    try:
        with pool.connection() as conn:
            conn.execute(
                queries.ACTIVITY_RECORD, _params(actor, via, action, job_id, queue, detail)
            )
    except psycopg.Error as exc:
        log.warning("activity.not_recorded", action=action, job_id=job_id, error=str(exc))
