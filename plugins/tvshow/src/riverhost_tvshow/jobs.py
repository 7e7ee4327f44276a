"""The TV plugin's five kinds: args models (the seeds' JSON field names) and workers.

Kinds, queues, attempts, uniqueness and timeouts are the seeds' (``content/tvshow/jobs``), so
Go River clients and these workers read each other's jobs. Each worker is thin: it hands the
work to :mod:`riverhost_tvshow.scan`, :mod:`riverhost_tvshow.metadata` or
:mod:`riverhost_tvshow.search`, which cancel a job (no retry) for what would fail every
attempt the same way and say why.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from riverhost import InsertOpts, Job, JobArgs, JobContext, UniqueOpts
from riverhost_media.settings import MediaResources, plugin_runtime

if TYPE_CHECKING:
    from riverhost_tvshow.settings import TvShowSettings

__all__ = [
    "FileMatchArgs",
    "LibraryScanArgs",
    "MetadataRefreshArgs",
    "SearchIndexArgs",
    "SeriesRefreshArgs",
    "TvShowResources",
    "file_match",
    "library_scan",
    "metadata_refresh",
    "runtime",
    "search_index",
    "series_refresh",
]


def _unique(minutes: int) -> UniqueOpts:
    return UniqueOpts(by_args=True, by_period=timedelta(minutes=minutes))


class LibraryScanArgs(JobArgs):
    """``tvshow_library_scan``: scan a library's folders (or ``paths`` of it)."""

    kind: ClassVar[str] = "tvshow_library_scan"
    insert_opts: ClassVar[InsertOpts] = InsertOpts(queue="bulk", max_attempts=3, unique=_unique(10))

    paths: list[str] | None = None
    """Folders to scan instead of the library's own; Go sends ``null`` for none."""
    force: bool = False
    """Re-examine files whose path, size and modification time are unchanged."""
    library_id: str | None = None
    """The configured library; none = the library holding ``paths``."""
    auto_create: bool = False
    """Create series missing from the table from TMDb; off = match known series only."""
    scan_id: str = ""
    """The ``library_scans`` row (a UUID); empty = one made per job. Not in the seed, whose
    TV scans left the API's rows ``pending`` forever."""


class MetadataRefreshArgs(JobArgs):
    """``tvshow_metadata_refresh``: one episode, season or series, or every series."""

    kind: ClassVar[str] = "tvshow_metadata_refresh"
    insert_opts: ClassVar[InsertOpts] = InsertOpts(
        queue="default", max_attempts=5, unique=_unique(30)
    )

    series_id: uuid.UUID | None = None
    season_id: uuid.UUID | None = None
    episode_id: uuid.UUID | None = None
    force: bool = False
    refresh_images: bool = False
    batch_size: int | None = None


class FileMatchArgs(JobArgs):
    """``tvshow_file_match``: match one file to its episode(s) and record it."""

    kind: ClassVar[str] = "tvshow_file_match"
    insert_opts: ClassVar[InsertOpts] = InsertOpts(queue="default", max_attempts=3)

    file_path: str
    episode_id: uuid.UUID | None = None
    force_rematch: bool = False
    auto_create: bool = False


class SearchIndexArgs(JobArgs):
    """``tvshow_search_index``: index one series, or rebuild the whole index."""

    kind: ClassVar[str] = "tvshow_search_index"
    insert_opts: ClassVar[InsertOpts] = InsertOpts(queue="bulk", max_attempts=5, unique=_unique(5))

    series_id: uuid.UUID | None = None
    full_reindex: bool = False
    batch_size: int | None = None


class SeriesRefreshArgs(JobArgs):
    """``tvshow_series_refresh``: one series, then (optionally) its seasons and episodes."""

    kind: ClassVar[str] = "tvshow_series_refresh"
    insert_opts: ClassVar[InsertOpts] = InsertOpts(
        queue="default", max_attempts=5, unique=_unique(30)
    )

    series_id: uuid.UUID
    tmdb_id: int | None = None
    refresh_seasons: bool = False
    refresh_episodes: bool = False
    languages: list[str] | None = None


class TvShowResources(MediaResources):
    """What the plugin's ``riverhost_resources`` yields: ``ctx.resources`` of its workers."""


def runtime(ctx: JobContext) -> tuple[TvShowSettings, TvShowResources]:
    """The plugin's settings and resources from a worker's context, checked."""
    from riverhost_tvshow.settings import TvShowSettings

    return plugin_runtime(ctx, "tvshow", TvShowSettings, TvShowResources)


async def library_scan(job: Job[LibraryScanArgs], ctx: JobContext) -> dict[str, Any]:
    """Scan a library: see :mod:`riverhost_tvshow.scan`."""
    from riverhost_tvshow.scan import run_library_scan

    return await run_library_scan(job, ctx)


async def metadata_refresh(job: Job[MetadataRefreshArgs], ctx: JobContext) -> dict[str, Any]:
    """Refresh episodes, seasons or series: see :mod:`riverhost_tvshow.metadata`."""
    from riverhost_tvshow.metadata import run_metadata_refresh

    return await run_metadata_refresh(job, ctx)


async def series_refresh(job: Job[SeriesRefreshArgs], ctx: JobContext) -> dict[str, Any]:
    """Refresh one series' cascade: see :mod:`riverhost_tvshow.metadata`."""
    from riverhost_tvshow.metadata import run_series_refresh

    return await run_series_refresh(job, ctx)


async def file_match(job: Job[FileMatchArgs], ctx: JobContext) -> dict[str, Any]:
    """Match one file: see :mod:`riverhost_tvshow.scan`."""
    from riverhost_tvshow.scan import run_file_match

    return await run_file_match(job, ctx)


async def search_index(job: Job[SearchIndexArgs], ctx: JobContext) -> dict[str, Any]:
    """Index one series or all: see :mod:`riverhost_tvshow.search`."""
    from riverhost_tvshow.search import run_search_index

    return await run_search_index(job, ctx)
