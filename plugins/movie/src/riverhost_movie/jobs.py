"""The movie plugin's four kinds: args models (the seeds' JSON field names) and workers.

Kinds, queues, attempts and uniqueness are the seeds' (``content/movie/moviejobs``), so Go
River clients and these workers read each other's jobs. Each worker is thin: it checks what
would fail every attempt the same way (an unknown library, a missing file, an unknown movie)
and cancels the job with the reason instead of retrying it, then hands the work to
:mod:`riverhost_movie.scan`, :mod:`riverhost_movie.metadata`, :mod:`riverhost_movie.matching`
or :mod:`riverhost_movie.search`.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import field_validator

from riverhost import InsertOpts, Job, JobArgs, JobContext, UniqueOpts
from riverhost_media.settings import MediaResources, plugin_runtime

if TYPE_CHECKING:
    from riverhost_movie.settings import MovieSettings

__all__ = [
    "ZERO_UUID",
    "FileMatchArgs",
    "LibraryScanArgs",
    "MetadataRefreshArgs",
    "MovieResources",
    "SearchIndexArgs",
    "file_match",
    "library_scan",
    "metadata_refresh",
    "runtime",
    "search_index",
]

#: Go's zero ``uuid.UUID``: what the seeds send for "no movie" (``movie_id`` is not a pointer).
ZERO_UUID = uuid.UUID(int=0)


class LibraryScanArgs(JobArgs):
    """``movie_library_scan``: scan a library's folders (or ``paths`` of it)."""

    kind: ClassVar[str] = "movie_library_scan"
    insert_opts: ClassVar[InsertOpts] = InsertOpts(
        queue="bulk",
        max_attempts=3,
        unique=UniqueOpts(by_args=True, by_period=timedelta(minutes=10)),
    )

    scan_id: str = ""
    """The ``library_scans`` row to record the scan in (a UUID); empty = one made per job."""
    library_id: str
    paths: list[str] | None = None
    """Folders to scan instead of the library's own; Go sends ``null`` for none."""
    force: bool = False
    """Re-examine files whose path, size and modification time are unchanged."""


class MetadataRefreshArgs(JobArgs):
    """``metadata_refresh_movie``: refresh one movie from TMDb."""

    kind: ClassVar[str] = "metadata_refresh_movie"
    insert_opts: ClassVar[InsertOpts] = InsertOpts(
        queue="default",
        max_attempts=5,
        unique=UniqueOpts(by_args=True, by_period=timedelta(minutes=30)),
    )

    movie_id: uuid.UUID
    force: bool = False
    languages: list[str] | None = None
    """Languages to fetch; none = the plugin's ``tmdb.languages``."""


class FileMatchArgs(JobArgs):
    """``movie_file_match``: match one file to a movie and record it."""

    kind: ClassVar[str] = "movie_file_match"
    insert_opts: ClassVar[InsertOpts] = InsertOpts(queue="default", max_attempts=3)

    file_path: str
    force_rematch: bool = False


class SearchIndexArgs(JobArgs):
    """``movie_search_index``: index or remove one movie, or rebuild the whole index."""

    kind: ClassVar[str] = "movie_search_index"
    insert_opts: ClassVar[InsertOpts] = InsertOpts(
        queue="default",
        max_attempts=5,
        unique=UniqueOpts(by_args=True, by_period=timedelta(minutes=5)),
    )

    operation: Literal["index", "remove", "reindex"]
    movie_id: uuid.UUID = ZERO_UUID

    @field_validator("movie_id", mode="before")
    @classmethod
    def _null_is_zero(cls, value: Any) -> Any:
        return ZERO_UUID if value is None else value


class MovieResources(MediaResources):
    """What the plugin's ``riverhost_resources`` yields: ``ctx.resources`` of its workers."""


def runtime(ctx: JobContext) -> tuple[MovieSettings, MovieResources]:
    """The plugin's settings and resources from a worker's context, checked."""
    from riverhost_movie.settings import MovieSettings

    return plugin_runtime(ctx, "movie", MovieSettings, MovieResources)


async def library_scan(job: Job[LibraryScanArgs], ctx: JobContext) -> dict[str, Any]:
    """Scan a library: see :mod:`riverhost_movie.scan`."""
    from riverhost_movie.scan import run_library_scan

    return await run_library_scan(job, ctx)


async def metadata_refresh(job: Job[MetadataRefreshArgs], ctx: JobContext) -> dict[str, Any]:
    """Refresh one movie's metadata: see :mod:`riverhost_movie.metadata`."""
    from riverhost_movie.metadata import run_metadata_refresh

    return await run_metadata_refresh(job, ctx)


async def file_match(job: Job[FileMatchArgs], ctx: JobContext) -> dict[str, Any]:
    """Match one file: see :mod:`riverhost_movie.matching`."""
    from riverhost_movie.matching import run_file_match

    return await run_file_match(job, ctx)


async def search_index(job: Job[SearchIndexArgs], ctx: JobContext) -> dict[str, Any]:
    """Index, remove or reindex: see :mod:`riverhost_movie.search`."""
    from riverhost_movie.search import run_search_index

    return await run_search_index(job, ctx)
