"""``riverhost run``: start a host on the configured (or embedded) database."""

from __future__ import annotations

import signal
import threading

import click
import structlog

from riverhost.cli._context import CliContext, pass_context
from riverhost.db.connect import database_url, redact
from riverhost.db.migrate import migrate
from riverhost.registry import load_registry

__all__ = ["run"]

log = structlog.get_logger("riverhost.host")


@click.command()
@click.option("--no-migrate", is_flag=True, help="Do not migrate the schema at start.")
@pass_context
def run(context: CliContext, no_migrate: bool) -> None:
    """Run the host until SIGINT or SIGTERM.

    Loads and checks the plugins, starts the embedded PostgreSQL unless a database URL is
    set, and migrates River's and the plugins' schema.
    """
    config = context.config()
    registry = load_registry(config)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with database_url(config.database) as url:
        if not no_migrate:
            migrate(url, lines=list(registry.migrations.values()))
        log.info(
            "host.started",
            database=redact(url),
            plugins=[info.name for info in registry.loaded.enabled()],
            kinds=sorted(registry.kinds),
            queues={name: q.max_workers for name, q in registry.queues.items()},
        )
        stop.wait()
        log.info("host.stopped")
