"""``riverhost run``: start a host on the configured (or embedded) database."""

from __future__ import annotations

import asyncio
import signal

import click
import structlog

from riverhost.cli._context import CliContext, pass_context
from riverhost.db.connect import database_url, redact
from riverhost.db.migrate import migrate
from riverhost.engine.host import Host
from riverhost.registry import Registry, load_registry

__all__ = ["run", "run_engine"]

log = structlog.get_logger("riverhost.host")


@click.command()
@click.option("--no-migrate", is_flag=True, help="Do not migrate the schema at start.")
@click.option(
    "--poll-only",
    is_flag=True,
    help="Do not LISTEN for notifications; poll instead (for PgBouncer in transaction mode).",
)
@click.option(
    "--processes",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="Engine processes to run under one supervisor (one per core is a good start).",
)
@pass_context
def run(context: CliContext, no_migrate: bool, poll_only: bool, processes: int) -> None:
    """Run the host until SIGINT or SIGTERM.

    Loads and checks the plugins, starts the embedded PostgreSQL unless a database URL is
    set, migrates River's and the plugins' schema, and works jobs. The first signal stops
    fetching and lets running jobs finish (up to jobs.shutdown_timeout); a second stops at once.
    """
    config = context.config()
    registry = load_registry(config)
    with database_url(config.database) as url:
        if not no_migrate:
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

            supervise(context, url, processes=processes, poll_only=poll_only)
        log.info("host.exited")


def run_engine(registry: Registry, url: str, *, poll_only: bool) -> None:
    """Run one engine in this process until SIGINT / SIGTERM (twice: at once)."""

    async def main() -> None:
        host = Host(registry, url, poll_only=poll_only)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, host.stop)
        await host.run()

    asyncio.run(main())
