"""``riverhost --version``: the host's and every installed plugin's version, importing none."""

from __future__ import annotations

import click

__all__ = ["print_version"]


def print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """Click callback for ``--version``."""
    if not value or ctx.resilient_parsing:
        return
    from riverhost import __version__
    from riverhost.plugins import installed_plugins

    click.echo(f"riverhost {__version__}")
    for name, dist, version in installed_plugins():
        click.echo(f"  plugin {name}: {dist} {version}")
    ctx.exit(0)
