"""Queues seen from a client: the listing of queues and the pause and resume statements.

Owns how :data:`~riverhost.db.queries.QUEUE_LIST` and ``UNSERVED_KINDS`` rows become
:class:`~riverhost.job.QueueInfo` and which statement a pause or resume runs (the fleet's, or
one host's). It runs nothing and holds no SQL text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, LiteralString

from riverhost.db import queries
from riverhost.job import QueueInfo


def _queues(
    rows: Sequence[Sequence[Any]],
    unserved: Sequence[Sequence[Any]],
    live: Sequence[Sequence[Any]],
) -> list[QueueInfo]:
    by_queue: dict[str, dict[str, int]] = {}
    for queue, kind, count in unserved:
        by_queue.setdefault(queue, {})[kind] = count
    served = _live(live)
    queues = [
        QueueInfo(name, paused_at, updated_at, counts, by_queue.pop(name, {}), name in served)
        for name, paused_at, updated_at, counts in rows
    ]
    queues += [
        QueueInfo(name, None, None, {}, kinds, name in served) for name, kinds in by_queue.items()
    ]
    return sorted(queues, key=lambda q: q.name)


def _live(rows: Sequence[Sequence[Any]]) -> frozenset[str]:
    return frozenset(queue for (queue,) in rows)


def _pause_params(
    queue: str, pause: bool, host: str | None
) -> tuple[LiteralString, dict[str, Any]]:
    if host is None:
        return queries.QUEUE_PAUSE, {"queue": queue, "pause": pause}
    action = "pause" if pause else "resume"
    return queries.HOST_CONTROL, {"queue": queue, "action": action, "host": host}


_QueueList = list[QueueInfo]  # the classes' own ``list`` method shadows the builtin in them

#: How long a host may go without a heartbeat before it no longer counts as serving its kinds.
_LIVE_LAPSE = timedelta(seconds=10)
