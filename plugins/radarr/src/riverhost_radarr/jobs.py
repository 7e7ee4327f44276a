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
from riverhost_media.arr import ArrNotFoundError, ArrResources, record_event, require_client
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


MOVIE_EVENT_MODELS = (
    DownloadEvent,
    RenameEvent,
    MovieAddedEvent,
    MovieDeleteEvent,
    MovieFileDeleteEvent,
)
"""The events that sync their movie."""


class RadarrWebhookArgs(JobArgs):
    """``radarr_webhook``: one webhook body as Radarr sent it."""

    kind: ClassVar[str] = "radarr_webhook"
    insert_opts: ClassVar[InsertOpts] = InsertOpts(queue="high", max_attempts=5)

    payload: dict[str, Any]


RadarrResources = ArrResources[RadarrClient]
"""``ctx.resources``: the Radarr client, or None when ``api_key`` is not set."""


def _radarr(ctx: JobContext) -> RadarrClient:
    client: RadarrClient = require_client(ctx, "Radarr")
    return client


async def radarr_sync(job: Job[RadarrSyncArgs], ctx: JobContext) -> dict[str, Any]:
    radarr = _radarr(ctx)
    if job.args.operation == "full":
        output = await full_sync(radarr, ctx)
    else:
        try:
            output = await single_sync(radarr, ctx, job.args.radarr_movie_id)
        except ArrNotFoundError as exc:
            raise JobCancel(f"Radarr has no movie {job.args.radarr_movie_id}: {exc}") from exc
    ctx.log.info("radarr.synced", **{k: v for k, v in output.items() if isinstance(v, int)})
    return output


async def radarr_webhook(job: Job[RadarrWebhookArgs], ctx: JobContext) -> dict[str, Any]:
    try:
        event = parse_event(job.args.payload)
    except ValidationError as exc:
        raise JobCancel(f"the payload is not a Radarr webhook body: {exc}") from exc
    kind = str(getattr(event, "eventType", ""))
    movie = getattr(event, "movie", None)
    output: dict[str, Any] = {"event": kind}
    if movie is not None:
        output.update(radarr_movie_id=movie.id, title=movie.title)
    log = ctx.log.bind(event=kind, radarr_movie_id=movie.id if movie else None)

    if not isinstance(event, MOVIE_EVENT_MODELS) or movie is None:
        return record_event(event, output, log, "radarr")

    # Download, Rename, MovieAdded, MovieDelete, MovieFileDelete: sync the one movie.
    radarr = _radarr(ctx)
    try:
        output["sync"] = await single_sync(radarr, ctx, movie.id)
    except ArrNotFoundError as exc:
        if not isinstance(event, MovieDeleteEvent):
            raise JobCancel(
                f"Radarr no longer has movie {movie.id} ({movie.title}); "
                f"the {kind} event was not applied: {exc}"
            ) from exc
        files_deleted = bool(event.deletedFiles)
        async with ctx.transaction() as conn:
            unlinked = await repository.unlink_radarr_movie(
                conn, movie.id, files_deleted=files_deleted
            )
        output.update(unlinked=unlinked, files_deleted=files_deleted)
    log.info("radarr.event_applied")
    return output
