"""Settings every media plugin's section shares (``plugins.movie``, ``plugins.tvshow``).

Libraries (an id the jobs' ``library_id`` names, folders, an optional periodic scan), TMDb
access and the search backend, in :class:`MediaSettings`; a plugin subclasses it under its own
name. Every field has a default, so a plugin loads (and ``riverhost plugins check`` passes)
with an empty section; a scan then has no library to scan and a TMDb call says which key to
set. :func:`tmdb_client` opens the :class:`~riverhost_media.tmdb.TmdbClient` the settings
describe, :func:`typesense_index` the Typesense collection of the search settings;
:func:`plugin_runtime` hands a worker its plugin's settings and resources, checked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from riverhost import Duration, JobContext
from riverhost_media.tmdb import DEFAULT_BASE_URL, TmdbClient, normalise_language
from riverhost_media.typesense import TypesenseIndex
from riverhost_media.walk import DEFAULT_EXCLUDES

__all__ = [
    "HttpUrl",
    "LibrarySettings",
    "MediaResources",
    "MediaSettings",
    "SearchSettings",
    "TmdbSettings",
    "TypesenseSettings",
    "http_url",
    "plugin_runtime",
    "tmdb_client",
    "typesense_index",
]


def http_url(url: str) -> str:
    """``url`` without its trailing slash, if it is an ``http(s)://host[:port]`` URL."""
    parsed = urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError(f"must be an http(s)://host:port URL, got {url!r}")
    return url.rstrip("/")


HttpUrl = Annotated[str, AfterValidator(http_url)]
"""A setting's ``http(s)://host[:port]`` address (trailing slash dropped)."""


class LibrarySettings(BaseModel):
    """One library: ``id`` is what a scan job's ``library_id`` names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    paths: list[str] = Field(min_length=1)
    scan_interval: Duration | None = None
    """A periodic scan of this library every interval; unset = on demand only."""
    follow_symlinks: bool = False
    include_hidden: bool = False
    excludes: list[str] = Field(default_factory=lambda: list(DEFAULT_EXCLUDES))
    probe: bool = True
    """Probe new and changed files with ffprobe (container, resolution, codecs, bitrate)."""
    skip_samples: bool = True

    @field_validator("paths")
    @classmethod
    def _absolute(cls, paths: list[str]) -> list[str]:
        relative = [path for path in paths if not os.path.isabs(path)]
        if relative:
            raise ValueError(f"library paths must be absolute, got {relative}")
        return [os.path.normpath(path) for path in paths]

    @field_validator("scan_interval")
    @classmethod
    def _at_least_a_minute(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value < timedelta(minutes=1):
            raise ValueError(f"must be at least 1m, got {value}")
        return value


class TmdbSettings(BaseModel):
    """TMDb v3 access: a v3 ``api_key`` or a v4 ``read_access_token`` (bearer)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_key: SecretStr | None = None
    read_access_token: SecretStr | None = None
    base_url: str = DEFAULT_BASE_URL
    languages: list[str] = Field(default_factory=lambda: ["en-US"], min_length=1)
    """Metadata languages: the first is the item's own, the others its translations."""
    requests_per_window: int = Field(default=40, ge=1)
    window: Duration = timedelta(seconds=10)
    max_attempts: int = Field(default=4, ge=1, le=20)
    retry_wait_max: Duration = timedelta(seconds=30)
    timeout: Duration = timedelta(seconds=10)

    @field_validator("languages")
    @classmethod
    def _normalised(cls, languages: list[str]) -> list[str]:
        return list(dict.fromkeys(normalise_language(code) for code in languages))


class TypesenseSettings(BaseModel):
    """Where the Typesense server is: ``url`` and ``api_key`` are required."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: HttpUrl
    """The node, ``http(s)://host:port`` (e.g. http://localhost:8108)."""
    api_key: SecretStr
    collection: str | None = Field(
        default=None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
    )
    """The collection; unset = the plugin's (``movies``, ``tvshows``)."""
    num_retries: int = Field(default=2, ge=0, le=10)
    """The client's own retries of a 5xx or a refused connection, before the attempt fails."""
    retry_interval: Duration = timedelta(milliseconds=500)
    timeout: Duration = timedelta(seconds=10)

    @field_validator("api_key")
    @classmethod
    def _not_empty(cls, api_key: SecretStr) -> SecretStr:
        if not api_key.get_secret_value():
            raise ValueError("must not be empty")
        return api_key


class SearchSettings(BaseModel):
    """The search backend: PostgreSQL full-text search in the job database (the default), or
    Typesense (``backend: typesense`` with a ``typesense`` section)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Literal["postgres", "typesense"] = "postgres"
    typesense: TypesenseSettings | None = None

    @model_validator(mode="after")
    def _typesense_configured(self) -> SearchSettings:
        if self.backend == "typesense" and self.typesense is None:
            raise ValueError(
                "search backend 'typesense' needs a typesense section: "
                "{url: http://localhost:8108, api_key: ...}"
            )
        return self


class MediaSettings(BaseModel):
    """A media plugin's section; subclassed per plugin (``MovieSettings``, ``TvShowSettings``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    libraries: list[LibrarySettings] = Field(default_factory=list)
    tmdb: TmdbSettings = Field(default_factory=TmdbSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    scan_concurrency: int = Field(default=8, ge=1, le=64)
    """New or changed files matched and probed at once within one scan."""
    scan_batch_size: int = Field(default=500, ge=1, le=10_000)
    """Files looked up (and written) per query during a scan."""

    @field_validator("libraries")
    @classmethod
    def _unique_ids(cls, libraries: list[LibrarySettings]) -> list[LibrarySettings]:
        ids = [lib.id for lib in libraries]
        twice = sorted({each for each in ids if ids.count(each) > 1})
        if twice:
            raise ValueError(f"library ids must be unique, repeated: {twice}")
        return libraries

    def library(self, library_id: str) -> LibrarySettings | None:
        """The library with this id, or None."""
        return next((lib for lib in self.libraries if lib.id == library_id), None)

    def library_of(self, path: str) -> LibrarySettings | None:
        """The library one of whose folders holds ``path``, or None."""
        for library in self.libraries:
            if any(path.startswith(root.rstrip("/") + "/") for root in library.paths):
                return library
        return None


def tmdb_client(tmdb: TmdbSettings) -> TmdbClient:
    """The TMDb client these settings describe (open it with ``async with``)."""
    return TmdbClient(
        api_key=tmdb.api_key.get_secret_value() if tmdb.api_key else None,
        read_access_token=(
            tmdb.read_access_token.get_secret_value() if tmdb.read_access_token else None
        ),
        base_url=tmdb.base_url,
        requests_per_window=tmdb.requests_per_window,
        window_seconds=tmdb.window.total_seconds(),
        max_attempts=tmdb.max_attempts,
        retry_wait_max=tmdb.retry_wait_max.total_seconds(),
        timeout=tmdb.timeout.total_seconds(),
    )


def typesense_index(
    search: SearchSettings, *, collection: str, fields: Sequence[Mapping[str, Any]]
) -> TypesenseIndex | None:
    """The Typesense collection these settings describe (``collection`` unless they name
    one), or None for the PostgreSQL backend. Close it with ``async with``."""
    if search.backend != "typesense" or search.typesense is None:
        return None
    ts = search.typesense
    return TypesenseIndex(
        url=ts.url,
        api_key=ts.api_key.get_secret_value(),
        collection=ts.collection or collection,
        fields=fields,
        num_retries=ts.num_retries,
        retry_interval=ts.retry_interval.total_seconds(),
        timeout=ts.timeout.total_seconds(),
    )


@dataclass(frozen=True)
class MediaResources:
    """What a media plugin's ``riverhost_resources`` yields: ``ctx.resources`` of its workers;
    subclassed per plugin (``MovieResources``, ``TvShowResources``)."""

    tmdb: TmdbClient
    search_index: TypesenseIndex | None = None
    """The Typesense collection when ``search.backend`` is typesense; None for PostgreSQL."""


S = TypeVar("S", bound=MediaSettings)
R = TypeVar("R")


def plugin_runtime(
    ctx: JobContext, plugin: str, settings_type: type[S], resources_type: type[R]
) -> tuple[S, R]:
    """A worker's plugin settings and resources from its context, checked to be ``plugin``'s."""
    settings, resources = ctx.settings, ctx.resources
    if not isinstance(settings, settings_type) or not isinstance(resources, resources_type):
        raise TypeError(
            f"the {plugin} plugin's workers need its settings and resources; run them on a host "
            f"(got settings {type(settings).__name__}, resources {type(resources).__name__})"
        )
    return settings, resources
