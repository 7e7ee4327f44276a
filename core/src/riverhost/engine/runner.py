"""The start path of a host: config and overrides -> registry -> database -> engine(s).

``riverhost run``, the supervisor's children and (later) the HTTP server's own start all go
through here, with plain arguments, so nothing below the CLI needs the CLI. :class:`StartSpec`
is what a fresh interpreter needs to rebuild the same config (the supervisor spawns children
with it); :func:`run_host` does the whole start of ``riverhost run``; :func:`run_engine` runs
one engine in this process until SIGINT / SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field

from riverhost import logging as riverhost_logging
from riverhost.config import RiverhostConfig, load_config
from riverhost.conninfo import redact
from riverhost.db.connect import database_url
from riverhost.db.migrate import migrate
from riverhost.engine.host import Host
from riverhost.logging import get_logger
from riverhost.registry import Registry, load_registry

__all__ = ["StartSpec", "run_engine", "run_host"]

log = get_logger("riverhost.host")


@dataclass(frozen=True)
class StartSpec:
    """Where the config comes from: a file (or the default search) and command-line overrides.

    Picklable, so a spawned engine process rebuilds exactly the config its parent had.
    """

    config_path: str | None = None
    overrides: Mapping[tuple[str, ...], tuple[object, str]] = field(default_factory=dict)

    def load(self, *, one_shot: bool = False) -> RiverhostConfig:
        """Load and validate the config, and configure logging from it.

        A ``one_shot`` command (``jobs list``, ``plugins check``) prints its answer, not the
        host's progress: unless ``logging.level`` is set, it logs warnings and errors only.
        """
        config = load_config(self.config_path, overrides=self.overrides)
        level = config.logging.level
        if one_shot and config.source_of("logging.level") == "default":
            level = "warning"
        riverhost_logging.configure(format=config.logging.format, level=level)
        return config


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
        if processes == 1:
            run_engine(registry, url, poll_only=poll_only)
        else:
            from riverhost.engine.supervisor import supervise

            supervise(spec, config, url, processes=processes, poll_only=poll_only)
        log.info("host.exited")


def run_engine(registry: Registry, url: str, *, poll_only: bool = False) -> None:
    """Run one engine in this process until SIGINT / SIGTERM (twice: at once)."""

    async def main() -> None:
        host = Host(registry, url, poll_only=poll_only)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, host.stop)
        await host.run()

    asyncio.run(main())
