"""The start of a host, as ``riverhost run`` and ``riverhost serve`` do it: config and
overrides -> registry -> database (embedded unless a URL is set) -> migrations -> the engine
(one process, or a supervisor over several) and the HTTP server when ``http.listen`` is set.

It sits above the engine and the HTTP server so both can be started from one place, with
plain arguments; the CLI only parses options and calls it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Iterator

from riverhost.config import DEFAULT_HTTP_LISTEN, RiverhostConfig
from riverhost.conninfo import redact
from riverhost.db.connect import database_url
from riverhost.db.migrate import migrate
from riverhost.engine.runner import StartSpec, run_engine
from riverhost.engine.services import Service
from riverhost.logging import get_logger
from riverhost.registry import Registry, load_registry

__all__ = ["run_host", "serve_http"]

log = get_logger("riverhost.host")


def run_host(
    spec: StartSpec,
    *,
    config: RiverhostConfig | None = None,
    processes: int = 1,
    poll_only: bool = False,
    migrate_first: bool = True,
) -> None:
    """Load the plugins, open the database (embedded unless a URL is set), migrate, and work
    jobs in ``processes`` engine processes until SIGINT / SIGTERM."""
    config = config if config is not None else spec.load()
    registry = load_registry(config)
    with database_url(config.database) as url:
        if migrate_first:
            migrate(url, lines=list(registry.migrations.values()))
        log.info(
            "host.started",
            database=redact(url),
            plugins=[info.name for info in registry.loaded.enabled()],
            kinds=sorted(registry.kinds),
            queues={name: q.max_workers for name, q in registry.queues.items()},
            processes=processes,
        )
        listen = config.http.listen
        if processes == 1:
            services = [_http_server(registry, url, listen)] if listen else []
            run_engine(registry, url, poll_only=poll_only, services=services)
        else:
            from riverhost.engine.supervisor import supervise

            # Once per host, not per engine process: the supervisor's process serves it.
            with _serving_in_a_thread(registry, url, listen):
                supervise(spec, config, url, processes=processes, poll_only=poll_only)
        log.info("host.exited")


def serve_http(
    spec: StartSpec,
    *,
    config: RiverhostConfig | None = None,
    listen: str | None = None,
    migrate_first: bool = True,
) -> None:
    """``riverhost serve``: the HTTP server alone, until SIGINT / SIGTERM."""
    config = config if config is not None else spec.load()
    registry = load_registry(config)
    with database_url(config.database) as url:
        if migrate_first:
            migrate(url, lines=list(registry.migrations.values()))
        server = _http_server(registry, url, listen or config.http.listen or DEFAULT_HTTP_LISTEN)

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            await server.start()
            try:
                await stop.wait()
            finally:
                await server.stop()

        asyncio.run(main())


def _http_server(registry: Registry, url: str, listen: str) -> Service:
    from riverhost.http import HttpServer

    return HttpServer(registry, url, listen)


@contextlib.contextmanager
def _serving_in_a_thread(registry: Registry, url: str, listen: str | None) -> Iterator[None]:
    """Serve HTTP on a thread of this process (with its own event loop) while the block runs."""
    if not listen:
        yield
        return
    server = _http_server(registry, url, listen)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    failure: list[BaseException] = []
    stop = asyncio.Event()

    async def main() -> None:
        try:
            await server.start()
        except BaseException as exc:
            failure.append(exc)
            raise
        finally:
            started.set()
        try:
            await stop.wait()
        finally:
            await server.stop()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), name="http")
    thread.start()
    started.wait()
    if failure:
        thread.join()
        raise failure[0]
    try:
        yield
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join()
        loop.close()
