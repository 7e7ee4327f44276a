"""``riverhost queues list | pause | resume``: the fleet's queues as River's tables hold them."""

from __future__ import annotations

import click

from riverhost import activity
from riverhost.cli._client import open_client
from riverhost.cli._context import CliContext, pass_context
from riverhost.cli._output import echo_json, echo_table
from riverhost.client import Client

__all__ = ["queues"]

_STATES = ("available", "running", "retryable", "scheduled", "pending")


@click.group()
def queues() -> None:
    """List, pause and resume queues (for the whole fleet, or one host)."""


@queues.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_context
def list_queues(context: CliContext, as_json: bool) -> None:
    """Every queue with its unfinished jobs per state, and kinds no live host serves."""
    with open_client(context) as client:
        infos = client.list_queues()
    if as_json:
        echo_json(
            [
                {
                    "name": q.name,
                    "served": q.served,
                    "paused": q.paused_at is not None,
                    "paused_at": q.paused_at,
                    "counts": {s: q.counts.get(s, 0) for s in _STATES},
                    "unserved_kinds": dict(q.unserved),
                }
                for q in infos
            ]
        )
        return
    echo_table(
        ["queue", "served", "paused", *_STATES, "unserved kinds"],
        [
            [
                q.name,
                "yes" if q.served else "NO",
                "yes" if q.paused_at else "no",
                *(q.counts.get(s, 0) for s in _STATES),
                ", ".join(f"{kind} ({n})" for kind, n in q.unserved.items()) or "-",
            ]
            for q in infos
        ],
    )


def _toggle(
    context: CliContext, queue: str, host: str | None, pause: bool, create: bool = False
) -> None:
    with open_client(context) as client:
        if pause and not create and queue != "*" and not _ever_served(client, queue):
            raise click.ClickException(
                f"no host has ever served queue {queue!r} (it has no river_queue row), so "
                "there is nothing to pause; check the name (riverhost queues list), or pass "
                "--create to record it paused for hosts that start serving it later"
            )
        if pause:
            client.pause_queue(queue, host=host)
        else:
            client.resume_queue(queue, host=host)
        action = "pause" if pause else "resume"
        detail = {"host": host} if host else None
        activity.record_sync(
            client.pool, activity.os_user(), "cli", action, queue=queue, detail=detail
        )
    where = f"on host {host}" if host else "for the whole fleet"
    click.echo(f"{'paused' if pause else 'resumed'} {queue} {where}")


_HOST = click.option("--host", help="Only on this host (its id, as in attempted_by).")


def _ever_served(client: Client, queue: str) -> bool:
    # A queue listed without updated_at only has jobs: no river_queue row, no host ever served it.
    return any(q.name == queue and q.updated_at is not None for q in client.list_queues())


@queues.command()
@click.argument("queue")
@_HOST
@click.option(
    "--create", is_flag=True, help="Record QUEUE paused even if no host has ever served it."
)
@pass_context
def pause(context: CliContext, queue: str, host: str | None, create: bool) -> None:
    """Stop fetching from QUEUE (``*``: every queue); running jobs finish."""
    _toggle(context, queue, host, pause=True, create=create)


@queues.command()
@click.argument("queue")
@_HOST
@pass_context
def resume(context: CliContext, queue: str, host: str | None) -> None:
    """Fetch from QUEUE (``*``: every queue) again."""
    _toggle(context, queue, host, pause=False)
