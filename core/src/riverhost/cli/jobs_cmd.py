"""``riverhost jobs list | show | insert | cancel | retry | delete``: jobs as River's table holds
them, through the same client Python callers use."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from pydantic import ValidationError

from riverhost import activity
from riverhost.args import InsertOpts, JobArgs, RawArgs
from riverhost.cli._client import open_client
from riverhost.cli._context import CliContext, pass_context
from riverhost.cli._output import echo_json, echo_table
from riverhost.client import Client, JobFilter
from riverhost.durations import parse_duration
from riverhost.errors import validation_message
from riverhost.job import InsertResult, Job
from riverhost.kinds import JobState, kind_problem
from riverhost.registry import load_registry

__all__ = ["jobs"]

_STATES = [state.value for state in JobState]
_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


@click.group()
def jobs() -> None:
    """List, show, insert, cancel, retry and delete jobs."""


@jobs.command("list")
@click.option("--state", "states", multiple=True, type=click.Choice(_STATES), help="Repeatable.")
@click.option("--queue", "queues", multiple=True, help="Repeatable.")
@click.option("--kind", "kinds", multiple=True, help="Repeatable.")
@click.option("--tag", "tags", multiple=True, help="Jobs carrying every tag given.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--after", type=int, help="The cursor a previous page printed.")
@click.option("--oldest-first", is_flag=True, help="Oldest first (default: newest first).")
@_JSON
@pass_context
def list_jobs(
    context: CliContext,
    states: Sequence[str],
    queues: Sequence[str],
    kinds: Sequence[str],
    tags: Sequence[str],
    limit: int,
    after: int | None,
    oldest_first: bool,
    as_json: bool,
) -> None:
    """One page of jobs matching every filter given, newest first."""
    where = JobFilter(
        states=[JobState(s) for s in states],
        queues=queues,
        kinds=kinds,
        tags=tags,
        newest_first=not oldest_first,
        after=after,
        limit=limit,
    )
    page = _with_client(context, lambda client: client.list(where))
    if as_json:
        echo_json({"jobs": [_job_json(j) for j in page.jobs], "cursor": page.cursor})
        return
    echo_table(
        ["id", "kind", "queue", "state", "attempt", "priority", "scheduled at", "errors"],
        [
            [
                j.id,
                j.kind,
                j.queue,
                j.state.value,
                f"{j.attempt}/{j.max_attempts}",
                j.priority,
                _moment(j.scheduled_at),
                len(j.errors),
            ]
            for j in page.jobs
        ],
    )
    if page.cursor is not None:
        click.echo(f"more: --after {page.cursor}")


@jobs.command()
@click.argument("job_id", type=int)
@_JSON
@pass_context
def show(context: CliContext, job_id: int, as_json: bool) -> None:
    """One job whole: its args, options, attempts, errors and metadata."""
    _echo_job(_with_client(context, lambda client: client.get(job_id)), as_json)


@jobs.command()
@click.argument("kind")
@click.argument("args", default="{}")
@click.option("--queue", help="Default: the kind's declared queue, else 'default'.")
@click.option("--priority", type=click.IntRange(1, 4), help="1 (first) to 4.")
@click.option("--max-attempts", type=click.IntRange(1, 32_767))
@click.option("--in", "delay", metavar="DURATION", help="Schedule it this far ahead (90s, 5m).")
@click.option("--tag", "tags", multiple=True, help="Repeatable.")
@_JSON
@pass_context
def insert(
    context: CliContext,
    kind: str,
    args: str,
    queue: str | None,
    priority: int | None,
    max_attempts: int | None,
    delay: str | None,
    tags: Sequence[str],
    as_json: bool,
) -> None:
    """Insert a job of KIND with ARGS (a JSON object; default {}).

    A kind a loaded plugin declares gets its args checked against the plugin's model and the
    kind's declared options; another kind goes in as given, for a host that has its plugin.
    """
    if (problem := kind_problem(kind)) is not None:
        raise click.BadParameter(problem, param_hint="KIND")
    try:
        values = json.loads(args)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="ARGS") from exc
    if not isinstance(values, dict):
        raise click.BadParameter("must be a JSON object", param_hint="ARGS")
    try:
        opts = InsertOpts(
            queue=queue,
            priority=priority,
            max_attempts=max_attempts,
            scheduled_at=datetime.now(UTC) + _delay(delay) if delay is not None else None,
            tags=tuple(tags) or None,
        )
    except ValidationError as exc:
        raise click.UsageError(f"bad insert option: {validation_message(exc)}") from exc
    registry = load_registry(context.config())
    registered = registry.kinds.get(kind)
    job_args: JobArgs | RawArgs
    if registered is None:
        job_args = RawArgs(kind, values)
    else:
        model = registered.spec.args
        try:
            validated = model.model_validate(values)
        except ValidationError as exc:
            raise click.ClickException(
                f"ARGS do not fit {model.__name__} (kind {kind!r}, plugin "
                f"{registered.plugin}): {validation_message(exc)}"
            ) from exc
        # An args class of the kind's own keeps its declared options; any other model's
        # values go in as checked, defaults filled.
        if isinstance(validated, JobArgs) and type(validated).kind == kind:
            job_args = validated
        else:
            job_args = RawArgs(kind, validated.model_dump(mode="json"))

    def insert_and_look(client: Client) -> tuple[InsertResult, frozenset[str]]:
        result = client.insert(job_args, opts)
        _record(client, "insert", result.job, {"kind": kind, "duplicate": result.duplicate})
        return result, client.live_queues()

    result, live = _with_client(context, insert_and_look, registry=registry)
    if result.job.queue not in live:
        click.echo(
            f"warning: no live host serves queue {result.job.queue!r}; the job waits until one "
            f"does (declare the queue in a host's jobs.queues, or insert with --queue QUEUE)",
            err=True,
        )
    if registered is None:
        close = difflib.get_close_matches(kind, registry.kinds, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        click.echo(
            f"note: no loaded plugin declares kind {kind!r}{hint}; inserted as given, for a "
            "host that has its plugin",
            err=True,
        )
    if as_json:
        echo_json({**_job_json(result.job), "duplicate": result.duplicate})
        return
    said = "exists already (unique)" if result.duplicate else "inserted"
    click.echo(f"job {result.job.id} {said}: {kind} in {result.job.queue}, {result.job.state}")


def _delay(value: str) -> timedelta:
    try:
        delay = parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--in") from exc
    if delay < timedelta(0):
        # A scheduled_at before created_at: a job in the past is `--in 0s` (or no --in).
        raise click.BadParameter(
            f"must not be negative, got {value!r}; leave --in out to run it now",
            param_hint="--in",
        )
    return delay


def _act(verb: str, help_text: str) -> None:
    @jobs.command(name=verb, help=help_text)
    @click.argument("job_id", type=int)
    @_JSON
    @pass_context
    def command(context: CliContext, job_id: int, as_json: bool) -> None:
        def act(client: Client) -> Job[dict[str, Any]]:
            job: Job[dict[str, Any]] = getattr(client, verb)(job_id)
            _record(client, verb, job)
            return job

        job = _with_client(context, act)
        if as_json:
            echo_json(_job_json(job))
            return
        state = "deleted" if verb == "delete" else job.state.value
        click.echo(f"job {job.id} ({job.kind}): {state}")


_act("cancel", "Cancel JOB_ID: at once if it waits, through its host if it runs.")
_act("retry", "Make JOB_ID available now (a finalized job too); refused while it runs.")
_act("delete", "Delete JOB_ID; refused while it runs.")


def _record(
    client: Client, action: str, job: Job[Any], detail: dict[str, Any] | None = None
) -> None:
    """Record an operator action in the activity table, as the OS user, via the CLI."""
    activity.record_sync(
        client.pool,
        activity.os_user(),
        "cli",
        action,
        job_id=job.id,
        queue=job.queue,
        detail=detail,
    )


def _with_client(context: CliContext, call: Callable[[Client], Any], **options: Any) -> Any:
    with open_client(context, **options) as client:
        return call(client)


def _echo_job(job: Job[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        echo_json(_job_json(job))
        return
    fields = _job_json(job)
    for name in ("errors", "args", "metadata"):
        fields.pop(name)
    for name, value in fields.items():
        text = ", ".join(value) if isinstance(value, list) else value
        click.echo(f"{name:<14}{'-' if text in (None, '') else text}")
    click.echo(f"{'args':<14}{json.dumps(job.args)}")
    if job.metadata:
        click.echo(f"{'metadata':<14}{json.dumps(dict(job.metadata), default=str)}")
    for error in job.errors:
        click.echo(f"error (attempt {error.attempt} at {error.at}): {error.error}")
        if error.trace:
            click.echo("  " + error.trace.rstrip().replace("\n", "\n  "))


def _job_json(job: Job[Any]) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "queue": job.queue,
        "state": job.state.value,
        "attempt": job.attempt,
        "max_attempts": job.max_attempts,
        "priority": job.priority,
        "created_at": _moment(job.created_at),
        "scheduled_at": _moment(job.scheduled_at),
        "attempted_at": _moment(job.attempted_at),
        "finalized_at": _moment(job.finalized_at),
        "attempted_by": list(job.attempted_by),
        "tags": list(job.tags),
        "args": job.args,
        "errors": [e.to_json() for e in job.errors],
        "metadata": dict(job.metadata),
    }


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat(timespec="milliseconds")
