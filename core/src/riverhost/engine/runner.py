"""Running an engine in this process: :func:`run_engine` until SIGINT / SIGTERM, and
:class:`StartSpec`, what a fresh interpreter needs to rebuild the same config (the supervisor
spawns its children with it). The whole start of ``riverhost run`` and ``riverhost serve``
(registry, database, migrations, HTTP server) is :mod:`riverhost.start`, a layer above.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from riverhost import logging as riverhost_logging
from riverhost.config import RiverhostConfig, load_config
from riverhost.engine.host import Host
from riverhost.engine.services import Service
from riverhost.logging import get_logger
from riverhost.registry import Registry

__all__ = ["StartSpec", "run_engine"]

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


def run_engine(
    registry: Registry, url: str, *, poll_only: bool = False, services: Sequence[Service] = ()
) -> None:
    """Run one engine in this process until SIGINT / SIGTERM (twice: at once); ``services``
    (the HTTP server) start before the engine's own and stop after them."""

    async def main() -> None:
        host = Host(registry, url, poll_only=poll_only, services=services)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, host.stop)
        await host.run()

    asyncio.run(main())
