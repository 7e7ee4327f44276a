"""uvicorn as a host service: :class:`HttpServer` starts the application on ``http.listen``
with a pool and client of its own, and stops it (streams ended, connections closed) on stop.

It never touches signals: the host (or ``riverhost serve``) owns SIGTERM / SIGINT and stops its
services, this one included. It fails its start, naming the address, when the address is taken
or would be exposed without a token (:func:`~riverhost.http.auth.check_listen`).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn
from psycopg_pool import AsyncConnectionPool

from riverhost.client import AsyncClient
from riverhost.db import adapt
from riverhost.http.app import AppState, create_app
from riverhost.http.auth import Auth, HttpConfigError, check_listen
from riverhost.http.events import FleetEvents
from riverhost.logging import get_logger
from riverhost.registry import Registry

__all__ = ["HttpServer", "check_listen"]

log = get_logger("riverhost.http")


class _Uvicorn(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The host owns the signals; uvicorn's own handlers would take SIGTERM from it.
        yield


class HttpServer:
    """The HTTP server as a service (see the module docstring)."""

    name = "http"

    def __init__(self, registry: Registry, url: str, listen: str) -> None:
        config = registry.config.http
        self._host, self._port = check_listen(listen, config.tokens)
        self._registry = registry
        self._url = url
        self._max_body = config.max_body
        self._server: _Uvicorn | None = None
        self._task: asyncio.Task[None] | None = None
        self._state: AppState | None = None

    @property
    def port(self) -> int:
        """The port it listens on (the one the OS chose when ``listen`` said 0)."""
        return self._port

    @property
    def base_url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            self._url,
            min_size=1,
            max_size=8,
            open=False,
            kwargs={"autocommit": True, "fallback_application_name": "riverhost-http"},
            configure=adapt.configure_async,
        )
        await pool.open(wait=False)
        self._state = AppState(
            registry=self._registry,
            pool=pool,
            client=AsyncClient(pool, registry=self._registry),
            events=FleetEvents(pool),
            auth=Auth(self._registry.config.http.tokens),
        )
        app = create_app(self._state, max_body=self._max_body)
        config = uvicorn.Config(
            app,
            host=self._host,
            port=self._port,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=3,
            server_header=False,
        )
        try:
            sock = _bind(self._host, self._port)
        except OSError as exc:
            await pool.close()
            raise HttpConfigError(
                f"the HTTP server cannot listen on {self._host}:{self._port}: {exc.strerror} "
                "(set http.listen to another address)"
            ) from exc
        self._port = sock.getsockname()[1]
        self._server = _Uvicorn(config)
        serve = self._server.serve(sockets=[sock])
        self._task = asyncio.get_running_loop().create_task(serve, name="http")
        while not self._server.started and not self._task.done():
            await asyncio.sleep(0.01)
        if self._task.done():
            await pool.close()
            self._task.result()  # raises what stopped it
            raise HttpConfigError(f"the HTTP server on {self.base_url} stopped at start")
        log.info("http.serving", url=self.base_url, token_required=bool(self._state.auth.required))

    async def stop(self) -> None:
        if self._state is not None:
            await self._state.events.close()
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await asyncio.gather(self._task, return_exceptions=True)
        if self._state is not None:
            await self._state.pool.close()


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket bound here, so a taken port is an error to report, not uvicorn's
    ``sys.exit``.

    Made with ``IPPROTO_TCP`` named: asyncio turns Nagle's algorithm off (``TCP_NODELAY``) only
    on connections whose socket says so, and a response is written in two parts (head, then
    body), so with Nagle on every answer on a kept-alive connection waited ~40 ms for the
    client's delayed ACK."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock
