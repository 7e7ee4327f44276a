"""The notifier: one LISTEN connection per host process, feeding River's notifications in.

It listens on ``<schema>.river_insert`` and ``<schema>.river_control`` (River's channels, so Go
clients' inserts and cancels reach riverhost too) and hands each payload to the handler of
its topic. A lost connection is reconnected with backoff, logged once, and followed by a call
to ``on_reconnect`` so nothing missed while it was down waits for the poll interval. It
interprets no payload itself.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any

import psycopg
from psycopg import sql

from riverhost._asyncio import reraise_if_cancelling, retry_delay
from riverhost.logging import get_logger

__all__ = ["Notifier"]

log = get_logger("riverhost.notifier")

Handler = Callable[[dict[str, Any]], None]

#: How the LISTEN connection shows in ``pg_stat_activity`` unless the URL names it.
APPLICATION_NAME = "riverhost-listener"


class Notifier:
    """Listens on River's channels and dispatches payloads by topic."""

    def __init__(
        self,
        url: str,
        handlers: Mapping[str, Handler],
        *,
        on_reconnect: Callable[[], None] | None = None,
    ) -> None:
        self._url = url
        self._handlers = dict(handlers)
        self._on_reconnect = on_reconnect
        self.ready = asyncio.Event()
        """Set once LISTEN is in place (tests wait on it before inserting)."""

    async def run(self) -> None:
        """Listen until cancelled, reconnecting whenever the connection is lost."""
        failures = 0
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._url, autocommit=True, fallback_application_name=APPLICATION_NAME
                ) as conn:
                    schema = await (await conn.execute("SELECT current_schema()")).fetchone()
                    prefix = f"{schema[0] if schema else 'public'}."
                    for topic in self._handlers:
                        await conn.execute(
                            sql.SQL("LISTEN {}").format(sql.Identifier(prefix + topic))
                        )
                    if failures:
                        log.info("notifier.reconnected", failures=failures)
                        if self._on_reconnect is not None:
                            self._on_reconnect()
                    failures = 0
                    self.ready.set()
                    async for note in conn.notifies():
                        self._dispatch(note.channel.removeprefix(prefix), note.payload)
            except psycopg.OperationalError as exc:
                reraise_if_cancelling()
                self.ready.clear()
                failures += 1
                if failures == 1:
                    log.warning("notifier.disconnected", error=str(exc))
                await asyncio.sleep(retry_delay(failures))

    def _dispatch(self, topic: str, payload: str) -> None:
        handler = self._handlers.get(topic)
        if handler is None:
            return
        try:
            message = json.loads(payload)
        except ValueError:
            log.warning("notifier.bad_payload", topic=topic, payload=payload[:200])
            return
        if not isinstance(message, dict):
            log.warning("notifier.bad_payload", topic=topic, payload=payload[:200])
            return
        try:
            handler(message)
        except Exception:  # anyone may NOTIFY: one message must not end the listening
            log.exception("notifier.handler_failed", topic=topic, payload=payload[:200])
