"""How the CLI prints: aligned tables for people, JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence

import click

__all__ = ["echo_json", "echo_table"]


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print ``rows`` under ``headers`` in aligned columns."""
    cells = [[str(h).upper() for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        click.echo(
            "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip()
        )


def echo_json(value: object) -> None:
    """Print ``value`` as indented JSON (stable keys for scripts)."""
    click.echo(json.dumps(value, indent=2, default=str))


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ",".join(map(_printable, value)) or "-"
    return _printable(value)


def _printable(value: object) -> str:
    """``str(value)`` with each unprintable character escaped (``\\n``, ``\\x1b``, ``\\u200b``).

    Names written by other clients (a kind or queue inserted with raw SQL) may hold control
    characters; printed raw they break the table's lines or drive the terminal.
    """
    text = str(value)
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )
