"""The radarr plugin's two kinds: args models (the seed's JSON field names) and workers.

``radarr_sync`` merges Radarr's library (full) or one movie (single) into the movie plugin's
tables; ``radarr_webhook`` works one webhook event: download, rename, add, delete and
file-delete events sync their movie, the others are recorded in the job's output and logged.
What would fail every attempt alike (no API key, a movie Radarr no longer has) cancels the
job with the reason instead of retrying it. The workers are :mod:`riverhost_media.arr`'s.
"""

from __future__ import annotations

from typing import ClassVar

from riverhost_media.arr import (
    ArrParts,
    ArrResources,
    ArrSyncArgs,
    ArrWebhookArgs,
    EventRules,
    sync_worker,
    webhook_worker,
)
from riverhost_movie import repository
from riverhost_radarr.client import RadarrClient
from riverhost_radarr.events import (
    DownloadEvent,
    MovieAddedEvent,
    MovieDeleteEvent,
    MovieFileDeleteEvent,
    RadarrWebhookBody,
    RenameEvent,
    parse_event,
)
from riverhost_radarr.sync import full_sync, single_sync

__all__ = [
    "PARTS",
    "RULES",
    "RadarrResources",
    "RadarrSyncArgs",
    "RadarrWebhookArgs",
    "radarr_sync",
    "radarr_webhook",
]


class RadarrSyncArgs(ArrSyncArgs):
    """``radarr_sync``: sync the whole library (``full``) or one movie (``single``)."""

    kind: ClassVar[str] = "radarr_sync"
    item_field: ClassVar[str] = "radarr_movie_id"

    radarr_movie_id: int = 0
    """Radarr's movie id, for ``single``."""


class RadarrWebhookArgs(ArrWebhookArgs):
    """``radarr_webhook``: one webhook body as Radarr sent it."""

    kind: ClassVar[str] = "radarr_webhook"


RadarrResources = ArrResources[RadarrClient]
"""``ctx.resources``: the Radarr client, or None when ``api_key`` is not set."""

RULES = EventRules(
    app="Radarr",
    item="movie",
    id_key="radarr_movie_id",
    syncing=(DownloadEvent, RenameEvent, MovieAddedEvent, MovieDeleteEvent, MovieFileDeleteEvent),
    deleting=MovieDeleteEvent,
)
"""Download, rename, add, delete and file-delete events sync their movie."""

radarr_sync = sync_worker("Radarr", "movie", full_sync, single_sync)
radarr_webhook = webhook_worker(RULES, parse_event, single_sync, repository.unlink_radarr_movie)

PARTS = ArrParts(
    sync_args=RadarrSyncArgs,
    sync=radarr_sync,
    webhook_args=RadarrWebhookArgs,
    webhook=radarr_webhook,
    client=RadarrClient,
    body=RadarrWebhookBody,
)
