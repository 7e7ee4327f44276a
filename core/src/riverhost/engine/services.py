"""The host's services: parts with a start and a stop, started in order, stopped in reverse.

The host lists its services (pools, plugin resources, heartbeat, completer, leadership,
control, producers) and :class:`Services` runs them: each is started only once the one before
it has started; on stop, or when a start fails, those started are stopped in reverse order. A
stop that raises is logged with the service named, and the others still stop. Adding a part to
the host is one line in its list.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from riverhost.logging import get_logger

__all__ = ["Service", "Services", "service"]

log = get_logger("riverhost.host")


class Service(Protocol):
    """A part of a running host."""

    name: str

    async def start(self) -> None:
        """Start; return once the service does its work (raise to stop the host's start)."""

    async def stop(self) -> None:
        """Stop and release what :meth:`start` took."""


@dataclass
class _FunctionService:
    name: str
    _start: Callable[[], Awaitable[None]]
    _stop: Callable[[], Awaitable[None]]

    async def start(self) -> None:
        await self._start()

    async def stop(self) -> None:
        await self._stop()


async def _nothing() -> None:
    return None


def service(
    name: str,
    start: Callable[[], Awaitable[None]] = _nothing,
    stop: Callable[[], Awaitable[None]] = _nothing,
) -> Service:
    """A service made of two functions."""
    return _FunctionService(name, start, stop)


class Services:
    """Starts services in order and stops the started ones in reverse."""

    def __init__(self) -> None:
        self._started: list[Service] = []

    async def start(self, *services: Service) -> None:
        """Start each of ``services`` in turn; if one raises, the ones started are stopped
        (in reverse) before the error goes on."""
        for each in services:
            try:
                await each.start()
            except BaseException:
                await self.stop()
                raise
            self._started.append(each)

    async def stop(self) -> None:
        """Stop every started service, last first; a failing stop is logged, not fatal."""
        while self._started:
            each = self._started.pop()
            try:
                await each.stop()
            except Exception:
                log.exception("host.service_stop_failed", service=each.name)
