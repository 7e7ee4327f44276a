"""The HTTP server (and, when asked, a host) on a thread of the test process, for tests that
talk to it over real HTTP on loopback and a real database.

``with Served(registry, database_url, host=True) as served: httpx.get(served.url + "/healthz")``.
Core's tests and the plugins' webhook tests share it; it lives beside the server because
:mod:`riverhost.testing` sits below the HTTP layer.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

from riverhost.engine.host import Host
from riverhost.http.server import HttpServer
from riverhost.registry import Registry

__all__ = ["Served"]


class Served:
    """The server (and a host, with ``host=True``) run until the ``with`` block ends; the host
    is stopped hard, so a test's long jobs do not hold its end."""

    def __init__(self, registry: Registry, url: str, *, host: bool = False) -> None:
        self.registry = registry
        self.database_url = url
        self.with_host = host
        self.host: Host | None = None
        self.server: HttpServer | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="served", daemon=True)
        self._host_task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        """The server's base URL (``http://127.0.0.1:<port>``)."""
        assert self.server is not None
        return self.server.base_url

    def call(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 30) -> Any:
        """Run ``coroutine`` on the server's event loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def finished(self, ids: list[int]) -> list[Any]:
        """The jobs ``ids`` once each has ended its attempt."""
        from riverhost.client import AsyncClient
        from riverhost.testing import wait_for_jobs

        async def wait() -> list[Any]:
            async with await AsyncClient.connect(self.database_url, max_size=1) as client:
                return list(await wait_for_jobs(client, ids))

        return list(self.call(wait()))

    async def _start(self) -> None:
        self.server = HttpServer(self.registry, self.database_url, "127.0.0.1:0")
        await self.server.start()
        if self.with_host:
            self.host = Host(self.registry, self.database_url)
            self._host_task = asyncio.create_task(self.host.run())
            await asyncio.wait_for(self.host.ready.wait(), 30)

    async def _stop(self) -> None:
        if self.host is not None and self._host_task is not None:
            self.host.stop()
            self.host.stop()
            await self._host_task
        if self.server is not None:
            await self.server.stop()

    def __enter__(self) -> Served:
        self._thread.start()
        self.call(self._start())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.call(self._stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()
