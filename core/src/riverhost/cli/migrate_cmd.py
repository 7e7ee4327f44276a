"""``riverhost migrate``: River's schema, then riverhost's, then each plugin's."""

from __future__ import annotations

import click

from riverhost.cli._context import CliContext, pass_context
from riverhost.db.connect import database_url
from riverhost.db.migrate import migrate as run_migrations
from riverhost.registry import load_registry

__all__ = ["migrate"]


@click.command()
@click.option("--dry-run", is_flag=True, help="Print the SQL that would run; change nothing.")
@pass_context
def migrate(context: CliContext, dry_run: bool) -> None:
    """Create or upgrade River's tables (version 7) and the plugins' own tables."""
    config = context.config()
    registry = load_registry(config)
    with database_url(config.database) as url:
        report = run_migrations(url, lines=list(registry.migrations.values()), dry_run=dry_run)
    steps = report.applied
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    if dry_run:
        for step in steps:
            click.echo(f"-- {step.line} {step.version:03d} {step.name}\n{step.sql.strip()}\n")
        click.echo(f"-- {len(steps)} migration(s) pending")
        return
    for step in steps:
        click.echo(f"applied {step.line} {step.version:03d} {step.name}")
    current = ", ".join(f"{line} {version}" for line, version in report.current.items())
    click.echo(f"up to date: {current}" if current else "up to date")
