"""JSON views of what riverhost holds: jobs, queues, hosts, plugins and kinds, activity.

One pydantic model per thing an operator looks at, built from the engine's own objects, so the
admin API (:mod:`riverhost.http`), its OpenAPI description and the dashboard all show the same
fields with the same names. The job's fields are the seeds' (``id, state, queue, kind, args,
attempt, max_attempts, created_at, scheduled_at``) and then the rest of River's row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from riverhost.durations import format_duration
from riverhost.job import AttemptError, Job, JobProgress, QueueInfo
from riverhost.registry import RegisteredKind, Registry

__all__ = [
    "ActivityView",
    "AttemptErrorView",
    "HostView",
    "JobListView",
    "JobView",
    "KindView",
    "PluginView",
    "QueueView",
]


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AttemptErrorView(_View):
    """One failed attempt, as River records it."""

    at: str
    attempt: int
    error: str
    trace: str = ""

    @classmethod
    def of(cls, error: AttemptError) -> AttemptErrorView:
        return cls(at=error.at, attempt=error.attempt, error=error.error, trace=error.trace)


class JobView(_View):
    """A job: the seeds' fields first, then the rest of River's row."""

    id: int
    state: str
    queue: str
    kind: str
    args: Any
    attempt: int
    max_attempts: int
    created_at: datetime
    scheduled_at: datetime
    priority: int
    attempted_at: datetime | None
    finalized_at: datetime | None
    attempted_by: list[str]
    tags: list[str]
    errors: list[AttemptErrorView]
    metadata: Any = Field(description="River's metadata (output under 'output')")
    progress: JobProgress | None = Field(description="the last progress report, if any")
    output: Any = None

    @classmethod
    def of(cls, job: Job[Any]) -> JobView:
        metadata = job.metadata if isinstance(job.metadata, Mapping) else {}
        return cls(
            id=job.id,
            state=str(job.state),
            queue=job.queue,
            kind=job.kind,
            args=job.args,
            attempt=job.attempt,
            max_attempts=job.max_attempts,
            created_at=job.created_at,
            scheduled_at=job.scheduled_at,
            priority=job.priority,
            attempted_at=job.attempted_at,
            finalized_at=job.finalized_at,
            attempted_by=list(job.attempted_by),
            tags=list(job.tags),
            errors=[AttemptErrorView.of(e) for e in job.errors],
            metadata=dict(metadata) if isinstance(job.metadata, Mapping) else job.metadata,
            progress=job.progress,
            output=job.output,
        )


class JobListView(_View):
    """One page of jobs: the seeds' ``{"jobs": [...], "total": N}`` and the paging cursor.

    ``total`` counts the jobs matching the filter exactly up to 1,000; past that it is the
    planner's estimate for the filter and ``total_is_estimate`` is true.
    """

    jobs: list[JobView]
    total: int
    total_is_estimate: bool = False
    cursor: int | None = Field(default=None, description="pass as 'after' for the next page")


class QueueView(_View):
    """A queue: paused or not, unfinished jobs per state, and waiting kinds no live host
    serves."""

    name: str
    paused: bool
    paused_at: datetime | None
    updated_at: datetime | None
    counts: dict[str, int]
    unserved: dict[str, int]

    @classmethod
    def of(cls, queue: QueueInfo) -> QueueView:
        return cls(
            name=queue.name,
            paused=queue.paused_at is not None,
            paused_at=queue.paused_at,
            updated_at=queue.updated_at,
            counts=dict(queue.counts),
            unserved=dict(queue.unserved),
        )


class HostView(_View):
    """A live host process (from its heartbeat): what it serves, and whether it leads."""

    id: str
    hostname: str
    pid: int
    version: str
    started_at: datetime
    heartbeat_at: datetime
    queues: dict[str, int]
    kinds: list[str]
    leader: bool

    @classmethod
    def of_row(cls, row: Sequence[Any]) -> HostView:
        id_, hostname, pid, version, started, beat, queues, kinds, leader = row
        return cls(
            id=id_,
            hostname=hostname,
            pid=pid,
            version=version,
            started_at=started,
            heartbeat_at=beat,
            queues=dict(queues or {}),
            kinds=sorted(kinds or {}),
            leader=bool(leader),
        )


class KindView(_View):
    """A job kind this server's registry knows, as ``riverhost plugins kinds`` shows it."""

    kind: str
    plugin: str
    queue: str
    timeout: str
    max_attempts: int
    priority: int
    retry: str
    periodic: list[str]

    @classmethod
    def of(cls, registered: RegisteredKind, periodic: list[str]) -> KindView:
        spec = registered.spec
        return cls(
            kind=spec.kind,
            plugin=registered.plugin.name,
            queue=spec.queue,
            timeout=format_duration(spec.timeout),
            max_attempts=registered.max_attempts,
            priority=spec.priority,
            retry=type(spec.retry).__name__ if spec.retry is not None else "RiverDefaultRetry",
            periodic=periodic,
        )


class PluginView(_View):
    """An enabled plugin and what it declares."""

    name: str
    dist: str
    version: str
    kinds: list[str]
    webhooks: list[str]

    @classmethod
    def all_of(cls, registry: Registry) -> list[PluginView]:
        return [
            cls(
                name=info.name,
                dist=info.dist,
                version=info.version,
                kinds=sorted(k for k, r in registry.kinds.items() if r.plugin.name == info.name),
                webhooks=sorted(
                    r.spec.url_path for r in registry.routes.values() if r.plugin.name == info.name
                ),
            )
            for info in registry.loaded.enabled()
        ]


class ActivityView(_View):
    """One operator action: who, through what, did what to which job or queue, when."""

    id: int
    at: datetime
    actor: str
    via: str
    action: str
    job_id: int | None
    queue: str | None
    detail: dict[str, Any]

    @classmethod
    def of_row(cls, row: Sequence[Any]) -> ActivityView:
        id_, at, actor, via, action, job_id, queue, detail = row
        return cls(
            id=id_,
            at=at,
            actor=actor,
            via=via,
            action=action,
            job_id=job_id,
            queue=queue,
            detail=dict(detail or {}),
        )
