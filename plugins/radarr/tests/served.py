"""The HTTP server (and, when asked, a host) on a thread of the test process, on loopback and
a real database (a copy of core/tests/served.py)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from riverhost.engine.host import Host
from riverhost.http import HttpServer
from riverhost.registry import Registry


class Served:
    """``with Served(registry, url, host=True) as served: httpx.get(served.url + "/healthz")``."""

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
        assert self.server is not None
        return self.server.base_url

    def call(self, coroutine: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

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
