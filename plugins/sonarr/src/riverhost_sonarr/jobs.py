"""The sonarr plugin's two kinds: args models (the seed's JSON field names) and workers.

``sonarr_sync`` merges Sonarr's library (full) or one series (single) into the tvshow plugin's
tables; ``sonarr_webhook`` works one webhook event: download, rename, add, delete and
file-delete events sync their series, the others are recorded in the job's output and logged.
What would fail every attempt alike (no API key, a series Sonarr no longer has) cancels the
job with the reason instead of retrying it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar, Literal

from pydantic import ValidationError, model_validator

from riverhost import InsertOpts, Job, JobArgs, JobCancel, JobContext, UniqueOpts
from riverhost_media.arr import ArrResources, EventRules, require_client, run_sync, work_event
from riverhost_sonarr.client import SonarrClient
from riverhost_sonarr.events import (
    DownloadEvent,
    EpisodeFileDeleteEvent,
    RenameEvent,
    SeriesAddEvent,
    SeriesDeleteEvent,
    parse_event,
)
from riverhost_sonarr.sync import full_sync, single_sync
from riverhost_tvshow import repository

__all__ = [
    "RULES",
    "SonarrResources",
    "SonarrSyncArgs",
    "SonarrWebhookArgs",
    "sonarr_sync",
    "sonarr_webhook",
]


class SonarrSyncArgs(JobArgs):
    """``sonarr_sync``: sync the whole library (``full``) or one series (``single``)."""

    kind: ClassVar[str] = "sonarr_sync"
    insert_opts: ClassVar[InsertOpts] = InsertOpts(
        queue="high",
        max_attempts=5,
        unique=UniqueOpts(by_args=True, by_period=timedelta(minutes=5)),
    )

    operation: Literal["full", "single"] = "full"
    sonarr_series_id: int = 0
    """Sonarr's series id, for ``single`` (Go's omitempty: 0 means none)."""

    @model_validator(mode="after")
    def _single_names_a_series(self) -> SonarrSyncArgs:
        if self.operation == "single" and self.sonarr_series_id <= 0:
            raise ValueError("a single sync needs sonarr_series_id (Sonarr's series id)")
        return self


class SonarrWebhookArgs(JobArgs):
    """``sonarr_webhook``: one webhook body as Sonarr sent it."""

    kind: ClassVar[str] = "sonarr_webhook"
    insert_opts: ClassVar[InsertOpts] = InsertOpts(queue="high", max_attempts=5)

    payload: dict[str, Any]


SonarrResources = ArrResources[SonarrClient]
"""``ctx.resources``: the Sonarr client, or None when ``api_key`` is not set."""


async def sonarr_sync(job: Job[SonarrSyncArgs], ctx: JobContext) -> dict[str, Any]:
    sonarr: SonarrClient = require_client(ctx, "Sonarr")
    series_id = job.args.sonarr_series_id
    return await run_sync(
        ctx,
        "Sonarr",
        (lambda: full_sync(sonarr, ctx)) if job.args.operation == "full" else None,
        lambda: single_sync(sonarr, ctx, series_id),
        f"Sonarr has no series {series_id}",
    )


RULES = EventRules(
    app="Sonarr",
    item="series",
    id_key="sonarr_series_id",
    syncing=(DownloadEvent, RenameEvent, SeriesAddEvent, SeriesDeleteEvent, EpisodeFileDeleteEvent),
    deleting=SeriesDeleteEvent,
)
"""Download, rename, add, delete and file-delete events sync their series."""


async def sonarr_webhook(job: Job[SonarrWebhookArgs], ctx: JobContext) -> dict[str, Any]:
    try:
        event = parse_event(job.args.payload)
    except ValidationError as exc:
        raise JobCancel(f"the payload is not a Sonarr webhook body: {exc}") from exc

    async def sync_one(series_id: int) -> dict[str, Any]:
        return await single_sync(require_client(ctx, "Sonarr"), ctx, series_id)

    async def unlink(conn: repository.Conn, series_id: int, files_deleted: bool) -> bool:
        return await repository.unlink_sonarr_series(conn, series_id, files_deleted=files_deleted)

    return await work_event(ctx, event, RULES, sync_one, unlink)
