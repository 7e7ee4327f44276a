"""``riverhost run``: start a host on the configured (or embedded) database."""

from __future__ import annotations

import click

from riverhost.cli._context import CliContext, pass_context
from riverhost.start import run_host

__all__ = ["run"]


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
    run_host(
        context.spec,
        config=context.config(one_shot=False),
        processes=processes,
        poll_only=poll_only,
        migrate_first=not no_migrate,
    )
