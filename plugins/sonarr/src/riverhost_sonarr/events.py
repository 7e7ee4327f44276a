"""Sonarr's webhook bodies (``NzbDrone.Core/Notifications/Webhook/``; facts in
``shared/reference/media-apis.md`` §2.1), as pydantic models the intake validates.

One model per ``eventType``, chosen by that field: all eleven of Sonarr's types (the two
``Download`` shapes, per file and import complete, share one model), and any type Sonarr adds
later as :class:`~riverhost_media.arr.OtherEvent` (accepted, recorded, not acted on). Each
requires only what the worker uses (a series event without ``series`` is a 422 naming
``series``); fields not modelled are kept as sent, never refused. ``deletedFiles`` is a list of
files on ``Download`` and a boolean on ``SeriesDelete``; both shapes are accepted on both.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, RootModel, Tag

from riverhost_media import arr
from riverhost_media.arr import (
    ApplicationUpdateEvent,
    Event,
    HealthEvent,
    OtherEvent,
    WebhookBody,
    WebhookFile,
    WebhookRelease,
    event_tag,
)

__all__ = [
    "EVENT_TYPES",
    "Event",
    "SonarrEvent",
    "SonarrWebhookBody",
    "WebhookEpisode",
    "WebhookEpisodeFile",
    "WebhookSeries",
    "parse_event",
]

EVENT_TYPES = (
    "Test",
    "Grab",
    "Download",
    "Rename",
    "SeriesAdd",
    "SeriesDelete",
    "EpisodeFileDelete",
    "Health",
    "HealthRestored",
    "ApplicationUpdate",
    "ManualInteractionRequired",
)


class WebhookSeries(WebhookBody):
    """``series`` (``WebhookSeries.cs``): ``id`` is Sonarr's series id."""

    id: int
    title: str
    tvdbId: int | None = None
    tmdbId: int | None = None
    imdbId: str | None = None
    path: str | None = None


class WebhookEpisode(WebhookBody):
    id: int
    seasonNumber: int | None = None
    episodeNumber: int | None = None
    title: str | None = None


WebhookEpisodeFile = WebhookFile


class TestEvent(Event):
    eventType: Literal["Test"]
    series: WebhookSeries | None = None


class GrabEvent(arr.GrabEvent):
    series: WebhookSeries
    episodes: list[WebhookEpisode] = []


class DownloadEvent(Event):
    """Both shapes: per file (``episodeFile``, ``isUpgrade``) and import complete
    (``episodeFiles``, ``fileCount``)."""

    eventType: Literal["Download"]
    series: WebhookSeries
    episodes: list[WebhookEpisode] = []
    episodeFile: WebhookEpisodeFile | None = None
    episodeFiles: list[WebhookEpisodeFile] | None = None
    isUpgrade: bool = False
    deletedFiles: list[WebhookEpisodeFile] | bool | None = None
    release: WebhookRelease | None = None
    downloadClient: str | None = None
    downloadId: str | None = None


class RenameEvent(Event):
    eventType: Literal["Rename"]
    series: WebhookSeries
    renamedEpisodeFiles: list[WebhookEpisodeFile] = []


class SeriesAddEvent(Event):
    eventType: Literal["SeriesAdd"]
    series: WebhookSeries


class SeriesDeleteEvent(Event):
    eventType: Literal["SeriesDelete"]
    series: WebhookSeries
    deletedFiles: bool | list[WebhookEpisodeFile] = False


class EpisodeFileDeleteEvent(Event):
    eventType: Literal["EpisodeFileDelete"]
    series: WebhookSeries
    episodes: list[WebhookEpisode] = []
    episodeFile: WebhookEpisodeFile | None = None
    deleteReason: str | None = None


class ManualInteractionEvent(arr.ManualInteractionEvent):
    series: WebhookSeries | None = None
    episodes: list[WebhookEpisode] = []


SonarrEvent = Annotated[
    Annotated[TestEvent, Tag("Test")]
    | Annotated[GrabEvent, Tag("Grab")]
    | Annotated[DownloadEvent, Tag("Download")]
    | Annotated[RenameEvent, Tag("Rename")]
    | Annotated[SeriesAddEvent, Tag("SeriesAdd")]
    | Annotated[SeriesDeleteEvent, Tag("SeriesDelete")]
    | Annotated[EpisodeFileDeleteEvent, Tag("EpisodeFileDelete")]
    | Annotated[HealthEvent, Tag("Health")]
    | Annotated[HealthEvent, Tag("HealthRestored")]
    | Annotated[ApplicationUpdateEvent, Tag("ApplicationUpdate")]
    | Annotated[ManualInteractionEvent, Tag("ManualInteractionRequired")]
    | Annotated[OtherEvent, Tag("Other")],
    Discriminator(event_tag(EVENT_TYPES)),
]
"""Any Sonarr webhook body, validated by the model of its ``eventType``."""


class SonarrWebhookBody(RootModel[SonarrEvent]):
    """The body of ``POST /api/v1/webhooks/sonarr``: any Sonarr event."""


def parse_event(payload: dict[str, Any]) -> Event:
    """A stored payload as its event model (the worker's view of a job's ``payload``)."""
    return SonarrWebhookBody.model_validate(payload).root
