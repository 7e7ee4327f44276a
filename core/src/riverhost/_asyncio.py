"""What every long-running asyncio service in riverhost needs from asyncio itself."""

from __future__ import annotations

import asyncio

__all__ = ["reraise_if_cancelling", "retry_delay"]


def reraise_if_cancelling() -> None:
    """Raise ``CancelledError`` if this task was cancelled while a database call failed.

    Call it first in every ``except psycopg.Error`` of a service loop. A connection pool that
    is closing answers a waiting caller with ``PoolClosed`` even when that caller was
    cancelled; catching the error would swallow the cancellation and leave the loop spinning
    on a closed pool forever.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def retry_delay(failures: int) -> float:
    """Seconds to wait before a service's next try after ``failures`` failed ones in a row:
    0.2, 0.4, 0.8 ... capped at 5 s, so an outage is retried often but never hammered.
    The producers, the completer and the notifier all back off this way."""
    return min(0.1 * 2.0 ** min(failures, 10), 5.0)
