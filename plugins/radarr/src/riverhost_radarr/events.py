"""Radarr's webhook bodies (``NzbDrone.Core/Notifications/Webhook/``; facts in
``shared/reference/media-apis.md`` §1.4), as pydantic models the intake validates.

One model per ``eventType``, chosen by that field: all eleven of Radarr's types, and any type
Radarr adds later as :class:`OtherEvent` (accepted, recorded, not acted on). Each requires only
what the worker uses (a movie event without ``movie`` is a 422 naming ``movie``); fields not
modelled are kept as sent, never refused. ``deletedFiles`` is a list of files on ``Download``
and a boolean on ``MovieDelete``; both shapes are accepted on both.
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
    "MOVIE_EVENTS",
    "Event",
    "RadarrEvent",
    "RadarrWebhookBody",
    "WebhookMovie",
    "WebhookMovieFile",
    "parse_event",
]

EVENT_TYPES = (
    "Test",
    "Grab",
    "Download",
    "Rename",
    "MovieAdded",
    "MovieDelete",
    "MovieFileDelete",
    "Health",
    "HealthRestored",
    "ApplicationUpdate",
    "ManualInteractionRequired",
)
MOVIE_EVENTS = ("Download", "Rename", "MovieAdded", "MovieDelete", "MovieFileDelete")
"""Events that sync their movie."""


class WebhookMovie(WebhookBody):
    """``movie`` (``WebhookMovie.cs``): ``id`` is Radarr's movie id."""

    id: int
    title: str
    year: int | None = None
    tmdbId: int | None = None
    imdbId: str | None = None
    folderPath: str | None = None


WebhookMovieFile = WebhookFile


class TestEvent(Event):
    eventType: Literal["Test"]
    movie: WebhookMovie | None = None
    release: WebhookRelease | None = None


class GrabEvent(arr.GrabEvent):
    movie: WebhookMovie


class DownloadEvent(Event):
    eventType: Literal["Download"]
    movie: WebhookMovie
    movieFile: WebhookMovieFile | None = None
    isUpgrade: bool = False
    deletedFiles: list[WebhookMovieFile] | bool | None = None
    downloadClient: str | None = None
    downloadId: str | None = None


class RenameEvent(Event):
    eventType: Literal["Rename"]
    movie: WebhookMovie
    renamedMovieFiles: list[WebhookMovieFile] = []


class MovieAddedEvent(Event):
    eventType: Literal["MovieAdded"]
    movie: WebhookMovie
    addMethod: str | None = None


class MovieDeleteEvent(Event):
    eventType: Literal["MovieDelete"]
    movie: WebhookMovie
    deletedFiles: bool | list[WebhookMovieFile] = False
    movieFolderSize: int | None = None


class MovieFileDeleteEvent(Event):
    eventType: Literal["MovieFileDelete"]
    movie: WebhookMovie
    movieFile: WebhookMovieFile | None = None
    deleteReason: str | None = None


class ManualInteractionEvent(arr.ManualInteractionEvent):
    movie: WebhookMovie


RadarrEvent = Annotated[
    Annotated[TestEvent, Tag("Test")]
    | Annotated[GrabEvent, Tag("Grab")]
    | Annotated[DownloadEvent, Tag("Download")]
    | Annotated[RenameEvent, Tag("Rename")]
    | Annotated[MovieAddedEvent, Tag("MovieAdded")]
    | Annotated[MovieDeleteEvent, Tag("MovieDelete")]
    | Annotated[MovieFileDeleteEvent, Tag("MovieFileDelete")]
    | Annotated[HealthEvent, Tag("Health")]
    | Annotated[HealthEvent, Tag("HealthRestored")]
    | Annotated[ApplicationUpdateEvent, Tag("ApplicationUpdate")]
    | Annotated[ManualInteractionEvent, Tag("ManualInteractionRequired")]
    | Annotated[OtherEvent, Tag("Other")],
    Discriminator(event_tag(EVENT_TYPES)),
]
"""Any Radarr webhook body, validated by the model of its ``eventType``."""


class RadarrWebhookBody(RootModel[RadarrEvent]):
    """The body of ``POST /api/v1/webhooks/radarr``: any Radarr event."""


def parse_event(payload: dict[str, Any]) -> Event:
    """A stored payload as its event model (the worker's view of a job's ``payload``)."""
    return RadarrWebhookBody.model_validate(payload).root
