"""The sonarr plugin's two kinds: args models (the seed's JSON field names) and workers.

``sonarr_sync`` merges Sonarr's library (full) or one series (single) into the tvshow plugin's
tables; ``sonarr_webhook`` works one webhook event: download, rename, add, delete and
file-delete events sync their series, the others are recorded in the job's output and logged.
What would fail every attempt alike (no API key, a series Sonarr no longer has) cancels the
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
from riverhost_sonarr.client import SonarrClient
from riverhost_sonarr.events import (
    DownloadEvent,
    EpisodeFileDeleteEvent,
    RenameEvent,
    SeriesAddEvent,
    SeriesDeleteEvent,
    SonarrWebhookBody,
    parse_event,
)
from riverhost_sonarr.sync import full_sync, single_sync
from riverhost_tvshow import repository

__all__ = [
    "PARTS",
    "RULES",
    "SonarrResources",
    "SonarrSyncArgs",
    "SonarrWebhookArgs",
    "sonarr_sync",
    "sonarr_webhook",
]


class SonarrSyncArgs(ArrSyncArgs):
    """``sonarr_sync``: sync the whole library (``full``) or one series (``single``)."""

    kind: ClassVar[str] = "sonarr_sync"
    item_field: ClassVar[str] = "sonarr_series_id"

    sonarr_series_id: int = 0
    """Sonarr's series id, for ``single``."""


class SonarrWebhookArgs(ArrWebhookArgs):
    """``sonarr_webhook``: one webhook body as Sonarr sent it."""

    kind: ClassVar[str] = "sonarr_webhook"


SonarrResources = ArrResources[SonarrClient]
"""``ctx.resources``: the Sonarr client, or None when ``api_key`` is not set."""

RULES = EventRules(
    app="Sonarr",
    item="series",
    id_key="sonarr_series_id",
    syncing=(DownloadEvent, RenameEvent, SeriesAddEvent, SeriesDeleteEvent, EpisodeFileDeleteEvent),
    deleting=SeriesDeleteEvent,
)
"""Download, rename, add, delete and file-delete events sync their series."""

sonarr_sync = sync_worker("Sonarr", "series", full_sync, single_sync)
sonarr_webhook = webhook_worker(RULES, parse_event, single_sync, repository.unlink_sonarr_series)

PARTS = ArrParts(
    sync_args=SonarrSyncArgs,
    sync=sonarr_sync,
    webhook_args=SonarrWebhookArgs,
    webhook=sonarr_webhook,
    client=SonarrClient,
    body=SonarrWebhookBody,
)
