"""``riverhost serve``: the HTTP server alone (admin API, dashboard, webhooks), no engine."""

from __future__ import annotations

import click

from riverhost.cli._context import CliContext, pass_context
from riverhost.start import serve_http

__all__ = ["serve"]


@click.command()
@click.option(
    "--listen",
    metavar="HOST:PORT",
    help="Address to serve on (default: http.listen, else 127.0.0.1:8080).",
)
@click.option("--no-migrate", is_flag=True, help="Do not migrate the schema at start.")
@pass_context
def serve(context: CliContext, listen: str | None, no_migrate: bool) -> None:
    """Serve the admin API and dashboard until SIGINT or SIGTERM, working no job.

    For a separate admin deployment: any number of servers and hosts share one database.
    Plugins are loaded for their kinds' models, settings and webhook routes.
    """
    serve_http(
        context.spec,
        config=context.config(one_shot=False),
        listen=listen,
        migrate_first=not no_migrate,
    )
