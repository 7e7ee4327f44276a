"""The radarr plugin's two kinds: args models (the seed's JSON field names) and workers.

``radarr_sync`` merges Radarr's library (full) or one movie (single) into the movie plugin's
tables; ``radarr_webhook`` works one webhook event: download, rename, add, delete and
file-delete events sync their movie, the others are recorded in the job's output and logged.
What would fail every attempt alike (no API key, a movie Radarr no longer has) cancels the
job with the reason instead of retrying it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar, Literal

from pydantic import ValidationError, model_validator

from riverhost import InsertOpts, Job, JobArgs, JobCancel, JobContext, UniqueOpts
from riverhost_media.arr import ArrResources, EventRules, require_client, run_sync, work_event
from riverhost_movie import repository
from riverhost_radarr.client import RadarrClient
from riverhost_radarr.events import (
    DownloadEvent,
    MovieAddedEvent,
    MovieDeleteEvent,
    MovieFileDeleteEvent,
    RenameEvent,
    parse_event,
)
from riverhost_radarr.sync import full_sync, single_sync

__all__ = [
    "RadarrResources",
    "RadarrSyncArgs",
    "RadarrWebhookArgs",
    "radarr_sync",
    "radarr_webhook",
]


class RadarrSyncArgs(JobArgs):
    """``radarr_sync``: sync the whole library (``full``) or one movie (``single``)."""

    kind: ClassVar[str] = "radarr_sync"
    insert_opts: ClassVar[InsertOpts] = InsertOpts(
        queue="high",
        max_attempts=5,
        unique=UniqueOpts(by_args=True, by_period=timedelta(minutes=5)),
    )

    operation: Literal["full", "single"] = "full"
    radarr_movie_id: int = 0
    """Radarr's movie id, for ``single`` (Go's omitempty: 0 means none)."""

    @model_validator(mode="after")
    def _single_names_a_movie(self) -> RadarrSyncArgs:
        if self.operation == "single" and self.radarr_movie_id <= 0:
            raise ValueError("a single sync needs radarr_movie_id (Radarr's movie id)")
        return self


class RadarrWebhookArgs(JobArgs):
    """``radarr_webhook``: one webhook body as Radarr sent it."""

    kind: ClassVar[str] = "radarr_webhook"
    insert_opts: ClassVar[InsertOpts] = InsertOpts(queue="high", max_attempts=5)

    payload: dict[str, Any]


RadarrResources = ArrResources[RadarrClient]
"""``ctx.resources``: the Radarr client, or None when ``api_key`` is not set."""


async def radarr_sync(job: Job[RadarrSyncArgs], ctx: JobContext) -> dict[str, Any]:
    radarr: RadarrClient = require_client(ctx, "Radarr")
    movie_id = job.args.radarr_movie_id
    return await run_sync(
        ctx,
        "Radarr",
        (lambda: full_sync(radarr, ctx)) if job.args.operation == "full" else None,
        lambda: single_sync(radarr, ctx, movie_id),
        f"Radarr has no movie {movie_id}",
    )


RULES = EventRules(
    app="Radarr",
    item="movie",
    id_key="radarr_movie_id",
    syncing=(DownloadEvent, RenameEvent, MovieAddedEvent, MovieDeleteEvent, MovieFileDeleteEvent),
    deleting=MovieDeleteEvent,
)
"""Download, rename, add, delete and file-delete events sync their movie."""


async def radarr_webhook(job: Job[RadarrWebhookArgs], ctx: JobContext) -> dict[str, Any]:
    try:
        event = parse_event(job.args.payload)
    except ValidationError as exc:
        raise JobCancel(f"the payload is not a Radarr webhook body: {exc}") from exc

    async def sync_one(movie_id: int) -> dict[str, Any]:
        return await single_sync(require_client(ctx, "Radarr"), ctx, movie_id)

    async def unlink(conn: repository.Conn, movie_id: int, files_deleted: bool) -> bool:
        return await repository.unlink_radarr_movie(conn, movie_id, files_deleted=files_deleted)

    return await work_event(ctx, event, RULES, sync_one, unlink)
