"""What every long-running asyncio service in riverhost needs from asyncio itself."""

from __future__ import annotations

import asyncio

__all__ = ["reraise_if_cancelling"]


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
