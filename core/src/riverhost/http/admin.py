"""The admin API, ``/api/v1/admin``: what an operator does to jobs and queues, and what the
fleet is made of. The seeds' two routes keep their shapes: ``GET /jobs?state=running&limit=50``
answers ``{"jobs": [...], "total": N}`` and ``DELETE /jobs/{id}`` cancels. Every change (insert,
cancel, retry, delete, pause, resume) is recorded in the activity table under the token's name.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from riverhost import activity
from riverhost.args import InsertOpts, RawArgs
from riverhost.client import JobFilter
from riverhost.db import queries
from riverhost.errors import InsertError, validation_message
from riverhost.http.app import AppState, refusals, state_of
from riverhost.http.webhooks import WebhookAnswer
from riverhost.job import JobProgress, QueueInfo
from riverhost.kinds import JobState
from riverhost.registry import RegisteredAction, Registry
from riverhost.views import (
    ActivityView,
    HostView,
    JobListView,
    JobView,
    KindView,
    PluginView,
    QueueView,
)
from riverhost.webhooks import ADMIN_ACTION_PREFIX, WebhookContext

__all__ = ["actions_router_for", "router"]


def actor(request: Request) -> str:
    """Who is asking: the name of the request's token (401 / 403 otherwise)."""
    return state_of(request).auth.actor(request)


Actor = Annotated[str, Depends(actor)]

Text = Annotated[str, Field(max_length=255, pattern=r"^[^\x00]*$")]
"""A name given by a client: no NUL character (PostgreSQL's text holds none)."""
Filter = Annotated[list[Text], Query()]

MAX_DELAY = 10 * 365 * 24 * 3600.0

EXACT_TOTAL = 1_000
"""A listing's total is counted exactly up to this many jobs, then estimated by the planner:
counting 10,000 completed jobs of one kind read 10,000 rows (70 ms a page on a 1,000,000-job
table), for a number an operator reads as "lots"."""
State = Annotated[AppState, Depends(state_of)]

router = APIRouter(
    prefix="/api/v1/admin",
    tags=["admin"],
    dependencies=[Depends(actor)],
    responses=refusals(401, 403),
)


# --------------------------------------------------------------------------- jobs


@router.get("/jobs", summary="List jobs (newest first)")
async def list_jobs(
    state: State,
    states: Annotated[list[JobState], Query(alias="state")] = [],  # noqa: B006 - FastAPI copies
    queue: Filter = [],  # noqa: B006
    kind: Filter = [],  # noqa: B006
    tag: Filter = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[int | None, Query(ge=0, description="the previous page's cursor")] = None,
    oldest_first: bool = False,
) -> JobListView:
    """One page of jobs matching every filter given (each repeatable), with their total."""
    where = JobFilter(
        states=states,
        queues=queue,
        kinds=kind,
        tags=tag,
        limit=limit,
        after=after,
        newest_first=not oldest_first,
    )
    page = await state.client.list(where)
    total, estimated = await state.client.count(where, exact_up_to=EXACT_TOTAL)
    return JobListView(
        jobs=[JobView.of(job) for job in page.jobs],
        total=total,
        total_is_estimate=estimated,
        cursor=page.cursor,
    )


@router.get(
    "/jobs/{job_id}",
    summary="One job, with every attempt's error and trace",
    responses=refusals(404),
)
async def get_job(job_id: int, state: State) -> JobView:
    return JobView.of(await state.client.get(job_id))


@router.get(
    "/jobs/{job_id}/progress",
    summary="A job's latest progress (the seeds' JobProgress)",
    responses=refusals(404),
)
async def get_progress(job_id: int, state: State) -> JobProgress | None:
    return await state.client.get_progress(job_id)


class InsertBody(BaseModel):
    """A job to insert. Args are checked by the kind's model when a plugin here declares it."""

    model_config = ConfigDict(extra="forbid")

    kind: Text = Field(min_length=1, max_length=255)
    args: dict[str, Any] = Field(default_factory=dict)
    queue: Text | None = None
    priority: int | None = Field(default=None, ge=1, le=4)
    max_attempts: int | None = Field(default=None, ge=1, le=32_767)
    delay_seconds: float | None = Field(
        default=None, ge=0, le=MAX_DELAY, description="run this much later (at most ten years)"
    )
    tags: list[Text] | None = None

    @field_validator("args")
    @classmethod
    def _storable(cls, args: dict[str, Any]) -> dict[str, Any]:
        # PostgreSQL's jsonb holds no NUL character and no lone UTF-16 surrogate.
        for text in _strings(args):
            if "\x00" in text:
                raise ValueError("args may not contain the NUL character (PostgreSQL refuses it)")
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError(f"args hold text that is not valid Unicode: {exc.reason}") from exc
        return args


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


class InsertAnswer(BaseModel):
    job: JobView
    duplicate: bool


@router.post("/jobs", status_code=201, summary="Insert a job", responses=refusals(400, 413))
async def insert_job(body: InsertBody, state: State, who: Actor) -> InsertAnswer:
    registered = state.registry.kinds.get(body.kind)
    args = body.args
    if registered is not None:
        try:
            model = registered.spec.args.model_validate(args)
        except ValidationError as exc:
            reason = f"args do not fit {registered.spec.args.__name__}: {validation_message(exc)}"
            raise InsertError(0, body.kind, reason) from exc
        args = model.model_dump(mode="json")
    try:
        opts = InsertOpts(
            queue=body.queue,
            priority=body.priority,
            max_attempts=body.max_attempts,
            tags=tuple(body.tags) if body.tags is not None else None,
            scheduled_at=(
                datetime.now(UTC) + timedelta(seconds=body.delay_seconds)
                if body.delay_seconds
                else None
            ),
        )
    except ValidationError as exc:
        raise InsertError(0, body.kind, validation_message(exc)) from exc
    result = await state.client.insert(RawArgs(body.kind, args), opts)
    await activity.record(
        state.pool,
        who,
        "api",
        "insert",
        job_id=result.job.id,
        queue=result.job.queue,
        detail={"kind": body.kind, "duplicate": result.duplicate},
    )
    return InsertAnswer(job=JobView.of(result.job), duplicate=result.duplicate)


@router.delete(
    "/jobs/{job_id}",
    summary="Cancel a job (running ones through their host)",
    responses=refusals(404),
)
async def delete_job(job_id: int, state: State, who: Actor) -> JobView:
    """The seeds' DELETE: cancels. To remove a finished job use ``POST /jobs/{id}/delete``."""
    return await _act(state, who, "cancel", job_id)


@router.post(
    "/jobs/{job_id}/cancel",
    summary="Cancel a job (running ones through their host)",
    responses=refusals(404),
)
async def cancel_job(job_id: int, state: State, who: Actor) -> JobView:
    return await _act(state, who, "cancel", job_id)


@router.post(
    "/jobs/{job_id}/retry", summary="Make a job available now", responses=refusals(404, 409)
)
async def retry_job(job_id: int, state: State, who: Actor) -> JobView:
    return await _act(state, who, "retry", job_id)


@router.post(
    "/jobs/{job_id}/delete",
    summary="Delete a job that is not running",
    responses=refusals(404, 409),
)
async def remove_job(job_id: int, state: State, who: Actor) -> JobView:
    return await _act(state, who, "delete", job_id)


async def _act(
    state: AppState, who: str, action: Literal["cancel", "retry", "delete"], job_id: int
) -> JobView:
    operation = {
        "cancel": state.client.cancel,
        "retry": state.client.retry,
        "delete": state.client.delete,
    }[action]
    job = await operation(job_id)
    await activity.record(state.pool, who, "api", action, job_id=job_id, queue=job.queue)
    return JobView.of(job)


@router.get(
    "/events",
    summary="Job outcomes and progress as server-sent events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def events(
    request: Request,
    state: State,
    job: Annotated[int | None, Query(description="only this job's events")] = None,
) -> StreamingResponse:
    """``event: progress`` (``{job_id, kind, queue, progress}``) while jobs run and
    ``event: job`` (``{job_id, kind, queue, state}``) as they finish, fleet-wide."""
    return StreamingResponse(
        state.events.stream(request, job),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# --------------------------------------------------------------------------- the fleet


@router.get("/queues", summary="Queues with their unfinished jobs per state")
async def list_queues(state: State) -> list[QueueView]:
    """Reused for a moment between readers (see :class:`~riverhost.http.app.Recent`)."""
    queues = await state.queues.get(lambda: _queues(state))
    return [QueueView.of(queue) for queue in queues]


async def _queues(state: AppState) -> list[QueueInfo]:
    return list(await state.client.list_queues())


@router.post("/queues/{name}/pause", summary="Pause a queue for the whole fleet ('*': all)")
async def pause_queue(name: str, state: State, who: Actor) -> list[QueueView]:
    await state.client.pause_queue(name)
    state.queues.forget()
    await activity.record(state.pool, who, "api", "pause", queue=name)
    return await list_queues(state)


@router.post("/queues/{name}/resume", summary="Resume a queue for the whole fleet ('*': all)")
async def resume_queue(name: str, state: State, who: Actor) -> list[QueueView]:
    await state.client.resume_queue(name)
    state.queues.forget()
    await activity.record(state.pool, who, "api", "resume", queue=name)
    return await list_queues(state)


@router.get("/plugins", summary="The plugins this server loaded, with their kinds and webhooks")
async def list_plugins(state: State) -> list[PluginView]:
    return PluginView.all_of(state.registry)


@router.get("/kinds", summary="Every job kind this server knows")
async def list_kinds(state: State) -> list[KindView]:
    periodic: dict[str, list[str]] = {}
    for job_id, registered in state.registry.periodic.items():
        periodic.setdefault(registered.spec.kind, []).append(job_id)
    return [
        KindView.of(registered, sorted(periodic.get(kind, [])))
        for kind, registered in state.registry.kinds.items()
    ]


@router.get("/hosts", summary="Live hosts (by heartbeat), what each serves, and the leader")
async def list_hosts(state: State) -> list[HostView]:
    lapse = state.registry.config.maintenance.host_lapse
    async with state.pool.connection() as conn:
        rows = await (await conn.execute(queries.HOSTS_LIVE, {"lapse": lapse})).fetchall()
    return [HostView.of_row(row) for row in rows]


@router.get("/activity", summary="Operator actions, newest first")
async def list_activity(
    state: State,
    job_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ActivityView]:
    async with state.pool.connection() as conn:
        cursor = await conn.execute(queries.ACTIVITY_RECENT, {"job_id": job_id, "limit": limit})
        rows = await cursor.fetchall()
    return [ActivityView.of_row(row) for row in rows]


# --------------------------------------------------------------------------- plugins' actions


def actions_router_for(registry: Registry) -> APIRouter:
    """The enabled plugins' admin actions, under ``/api/v1/admin/integrations``."""
    actions = APIRouter(
        prefix=ADMIN_ACTION_PREFIX,
        tags=["admin"],
        dependencies=[Depends(actor)],
        responses=refusals(401, 403),
    )
    for path, registered in registry.actions.items():
        actions.add_api_route(
            f"/{path}",
            _action_endpoint(registered),
            methods=["POST"],
            status_code=202,
            summary=registered.spec.summary or f"Action of plugin {registered.plugin.name}",
            response_model=WebhookAnswer,
        )
    return actions


def _action_endpoint(registered: RegisteredAction) -> Any:
    action, plugin = registered.spec, registered.plugin.name

    async def endpoint(state: State, who: Actor) -> WebhookAnswer:
        settings = state.registry.settings.get(plugin)
        async with state.pool.connection() as conn, conn.transaction():
            job = await action.handler(WebhookContext(plugin, settings, conn, state.client))
            if job is None:
                return WebhookAnswer(job_id=None)
            args, opts = job if isinstance(job, tuple) else (job, InsertOpts())
            result = await state.client.insert(args, opts, conn=conn)
        detail = {"kind": result.job.kind, "duplicate": result.duplicate, "action": action.path}
        await activity.record(
            state.pool,
            who,
            "api",
            "insert",
            job_id=result.job.id,
            queue=result.job.queue,
            detail=detail,
        )
        return WebhookAnswer(job_id=result.job.id, duplicate=result.duplicate)

    endpoint.__name__ = f"action_{plugin}_{action.path.replace('/', '_').replace('-', '_')}"
    return endpoint
