"""``riverhost config show``."""

from __future__ import annotations

import click

from riverhost.cli._context import CliContext, pass_context
from riverhost.cli._output import echo_json, echo_table
from riverhost.conninfo import redact

__all__ = ["config"]


@click.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_context
def show(context: CliContext, as_json: bool) -> None:
    """Every effective setting with where it came from (passwords masked)."""
    rows = [
        (key, redact(value) if isinstance(value, str) else value, source)
        for key, value, source in context.config().effective()
    ]
    if as_json:
        echo_json([{"key": k, "value": v, "source": s} for k, v, s in rows])
        return
    echo_table(["key", "value", "source"], rows)
