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

from pydantic import BaseModel, ConfigDict, Discriminator, Field, RootModel, Tag

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


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow")


class WebhookMovie(_Body):
    """``movie`` (``WebhookMovie.cs``): ``id`` is Radarr's movie id."""

    id: int
    title: str
    year: int | None = None
    tmdbId: int | None = None
    imdbId: str | None = None
    folderPath: str | None = None


class WebhookMovieFile(_Body):
    """``movieFile``, a ``deletedFiles`` item or a ``renamedMovieFiles`` item."""

    id: int
    path: str | None = None
    relativePath: str | None = None
    quality: str | None = None
    size: int | None = None


class WebhookRelease(_Body):
    releaseTitle: str | None = None
    indexer: str | None = None
    quality: str | None = None
    size: int | None = None


class Event(_Body):
    """What every event carries besides its own fields."""

    instanceName: str | None = None
    applicationUrl: str | None = None


class TestEvent(Event):
    eventType: Literal["Test"]
    movie: WebhookMovie | None = None
    release: WebhookRelease | None = None


class GrabEvent(Event):
    eventType: Literal["Grab"]
    movie: WebhookMovie
    release: WebhookRelease | None = None
    downloadClient: str | None = None
    downloadId: str | None = None


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


class HealthEvent(Event):
    eventType: Literal["Health", "HealthRestored"]
    level: str
    message: str
    type: str | None = None
    wikiUrl: str | None = None


class ApplicationUpdateEvent(Event):
    eventType: Literal["ApplicationUpdate"]
    previousVersion: str
    newVersion: str
    message: str | None = None


class DownloadInfo(_Body):
    title: str | None = None
    quality: str | None = None
    size: int | None = None


class ManualInteractionEvent(Event):
    eventType: Literal["ManualInteractionRequired"]
    movie: WebhookMovie
    downloadInfo: DownloadInfo | None = None
    downloadStatus: str | None = None
    downloadStatusMessages: list[dict[str, Any]] = []
    downloadClient: str | None = None
    downloadId: str | None = None


class OtherEvent(Event):
    """An event type Radarr added after these models: accepted and recorded."""

    eventType: str = Field(min_length=1)


_TAGS = {name: name for name in EVENT_TYPES}


def _tag(body: Any) -> str:
    kind = body.get("eventType") if isinstance(body, dict) else getattr(body, "eventType", None)
    return _TAGS.get(kind, "Other") if isinstance(kind, str) else "Other"


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
    Discriminator(_tag),
]
"""Any Radarr webhook body, validated by the model of its ``eventType``."""


class RadarrWebhookBody(RootModel[RadarrEvent]):
    """The body of ``POST /api/v1/webhooks/radarr``: any Radarr event."""

    def stored(self) -> dict[str, Any]:
        """The body as sent (fields not modelled included), for the job's ``payload``."""
        body: dict[str, Any] = self.root.model_dump(mode="json", exclude_unset=True)
        return body


def parse_event(payload: dict[str, Any]) -> Event:
    """A stored payload as its event model (the worker's view of a job's ``payload``)."""
    return RadarrWebhookBody.model_validate(payload).root
