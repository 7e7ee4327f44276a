"""Which queues a client's own inserts announce on ``river_insert``, and how often.

Owns :data:`NOTICE_WINDOW`, :data:`NOTICE_TRAIL` and the per-client limiter that picks
:data:`~riverhost.db.queries.INSERT_PLAIN_QUIET` over :data:`~riverhost.db.queries.INSERT_PLAIN`.
It does not build statements or send anything: the client shells (:mod:`.aio`, :mod:`.sync`)
ask it before a statement runs and tell it after. Tests that widen the window patch
:data:`NOTICE_WINDOW` here, the module whose global the limiter reads.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, LiteralString

from riverhost.db import queries

__all__ = ["NOTICE_TRAIL", "NOTICE_WINDOW"]


NOTICE_WINDOW = 0.005
"""Seconds after announcing a queue in which a client's next plain insert into it stays quiet."""
NOTICE_TRAIL = 0.025
"""Seconds after an insert notification at which a host fetches once more: after
:data:`NOTICE_WINDOW`, with room for the quiet insert's own statement to commit."""


class _InsertNotices:
    """Which queues an insert on the client's own connection announces (``river_insert``).

    River's clients announce a queue at most once per fetch cooldown, as its workers fetch at
    most that often. riverhost hosts fetch at once, so riverhost's limiter is much tighter: a
    plain single insert, or a COPY, leaves a queue it announced less than
    :data:`NOTICE_WINDOW` ago unannounced, and a host that hears an announcement fetches again
    :data:`NOTICE_TRAIL` later, which finds the quiet ones. Under a listening host a
    notification cost an insert a sixth of its time, and every host a fetch. Inserts on the
    caller's connection always announce: their commit, and so their notification, may come any
    time later.
    """

    def __init__(self) -> None:
        self._sent: dict[str, float] = {}

    def due(self, queues: Iterable[str]) -> list[str]:
        """The ``queues`` not announced within :data:`NOTICE_WINDOW`."""
        now = time.monotonic()
        return [q for q in queues if now - self._sent.get(q, -NOTICE_WINDOW) >= NOTICE_WINDOW]

    def sent(self, queues: Iterable[str]) -> None:
        """``queues`` were announced (the statement that did it has committed)."""
        now = time.monotonic()
        for queue in queues:
            self._sent[queue] = now

    def plain(self, statement: LiteralString, params: dict[str, Any]) -> LiteralString:
        """:data:`queries.INSERT_PLAIN_QUIET` for an :data:`queries.INSERT_PLAIN` whose queue
        was just announced; any other statement as it is (they announce what they insert)."""
        if statement is queries.INSERT_PLAIN and not self.due((params["queues"],)):
            return queries.INSERT_PLAIN_QUIET
        return statement

    def inserted(self, statement: LiteralString, params: dict[str, Any]) -> None:
        """After :meth:`plain`'s statement committed: note what it announced."""
        if statement is queries.INSERT_PLAIN:
            self.sent((params["queues"],))
