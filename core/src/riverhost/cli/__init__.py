"""The ``riverhost`` command: ``NOUN VERB`` subcommands over the host's parts.

Exit codes: 0 done, 1 failed (the message says why), 2 usage error. Every listing takes
``--json``. This package only parses arguments and prints; the work is done by the modules it
calls.
"""

from __future__ import annotations

import click
import psycopg

from riverhost.cli._context import CliContext
from riverhost.cli.config_cmd import config
from riverhost.cli.jobs_cmd import jobs
from riverhost.cli.migrate_cmd import migrate
from riverhost.cli.plugins_cmd import plugins
from riverhost.cli.queues_cmd import queues
from riverhost.cli.run_cmd import run
from riverhost.cli.serve_cmd import serve
from riverhost.cli.version import print_version
from riverhost.errors import RiverhostError

__all__ = ["cli", "main"]


def _names(_ctx: click.Context, _param: click.Parameter, value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [name.strip() for name in value.split(",") if name.strip()]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=print_version,
    help="Show riverhost's version and every installed plugin's.",
)
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config file (default: $RIVERHOST_CONFIG, else ./riverhost.yaml).",
)
@click.option(
    "--plugins",
    "enabled",
    callback=_names,
    metavar="A,B",
    help="Load only these plugins (overrides config and RIVERHOST_LOAD_PLUGINS).",
)
@click.option(
    "--disable-plugins",
    "disabled",
    callback=_names,
    metavar="A,B",
    help="Never load these plugins (overrides RIVERHOST_DISABLED_PLUGINS).",
)
@click.option(
    "--log-format",
    type=click.Choice(["auto", "console", "json"]),
    help="Log format (default: config logging.format).",
)
@click.pass_context
def cli(
    ctx: click.Context,
    config_path: str | None,
    enabled: list[str] | None,
    disabled: list[str] | None,
    log_format: str | None,
) -> None:
    """Host background-job plugins on PostgreSQL, on River's job tables."""
    overrides: dict[tuple[str, ...], tuple[object, str]] = {}
    if enabled is not None:
        overrides[("plugins", "enabled")] = (enabled, "flag --plugins")
    if disabled is not None:
        overrides[("plugins", "disabled")] = (disabled, "flag --disable-plugins")
    if log_format is not None:
        overrides[("logging", "format")] = (log_format, "flag --log-format")
    ctx.obj = CliContext(config_path, overrides)


cli.add_command(plugins)
cli.add_command(migrate)
cli.add_command(config)
cli.add_command(run)
cli.add_command(serve)
cli.add_command(queues)
cli.add_command(jobs)


def main() -> None:
    """Entry point of the ``riverhost`` script."""
    try:
        cli.main(prog_name="riverhost", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        raise SystemExit(1) from None
    except click.ClickException as exc:
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except RiverhostError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    except psycopg.OperationalError as exc:  # the server, not riverhost: no traceback to read
        click.echo(f"error: PostgreSQL: {str(exc).strip()}", err=True)
        raise SystemExit(1) from None
