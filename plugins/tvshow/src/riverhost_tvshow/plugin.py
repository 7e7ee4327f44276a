"""The TV plugin's hooks: settings, resources (TMDb, Typesense), migrations, kinds, schedules.

Heavy modules (the workers, httpx, guessit) are imported inside the hooks, so ``riverhost
plugins list`` and a host that disables this plugin never pay for them.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel

from riverhost import JobArgs, JobKind, Migration, PeriodicJob, hookimpl, migrations_from_package
from riverhost_tvshow.settings import TvShowSettings

if TYPE_CHECKING:
    from riverhost_tvshow.jobs import TvShowResources


@hookimpl
def riverhost_settings_model() -> type[BaseModel]:
    return TvShowSettings


@hookimpl
def riverhost_migrations() -> list[Migration]:
    return migrations_from_package("riverhost_tvshow")


@hookimpl
def riverhost_job_kinds(settings: TvShowSettings) -> list[JobKind]:
    from riverhost_tvshow import jobs

    def kind(
        args: type[JobArgs], worker: Callable[..., object], minutes: int, text: str
    ) -> JobKind:
        # Queue, attempts and uniqueness once, in the args' insert_opts (the seeds' InsertOpts).
        opts = args.insert_opts
        assert opts.queue is not None
        assert opts.max_attempts is not None
        return JobKind(
            kind=args.kind,
            args=args,
            worker=worker,
            queue=opts.queue,
            timeout=timedelta(minutes=minutes),
            max_attempts=opts.max_attempts,
            unique=opts.unique,
            description=text,
        )

    return [
        kind(
            jobs.LibraryScanArgs,
            jobs.library_scan,
            30,
            "walk a TV library, match new and changed episode files, record them",
        ),
        kind(
            jobs.MetadataRefreshArgs,
            jobs.metadata_refresh,
            15,
            "refresh an episode, a season, a series or every series from TMDb",
        ),
        kind(jobs.FileMatchArgs, jobs.file_match, 5, "match one file to its episodes"),
        kind(jobs.SearchIndexArgs, jobs.search_index, 10, "index series in the search backend"),
        kind(
            jobs.SeriesRefreshArgs,
            jobs.series_refresh,
            10,
            "refresh one series, then its seasons and episodes",
        ),
    ]


@hookimpl
def riverhost_periodic_jobs(settings: TvShowSettings) -> list[PeriodicJob]:
    from riverhost_tvshow.jobs import LibraryScanArgs

    return [
        PeriodicJob(
            id=f"tvshow_library_scan:{library.id}",
            args=LibraryScanArgs(library_id=library.id, auto_create=True),
            every=library.scan_interval,
        )
        for library in settings.libraries
        if library.scan_interval is not None
    ]


@hookimpl
def riverhost_resources(
    settings: TvShowSettings,
) -> contextlib.AbstractAsyncContextManager[TvShowResources]:
    from riverhost_media.settings import tmdb_client, typesense_index
    from riverhost_tvshow.jobs import TvShowResources
    from riverhost_tvshow.search import TYPESENSE_COLLECTION, TYPESENSE_FIELDS

    @contextlib.asynccontextmanager
    async def resources() -> AsyncIterator[TvShowResources]:
        async with contextlib.AsyncExitStack() as stack:
            client = await stack.enter_async_context(tmdb_client(settings.tmdb))
            index = typesense_index(
                settings.search, collection=TYPESENSE_COLLECTION, fields=TYPESENSE_FIELDS
            )
            if index is not None:
                await stack.enter_async_context(index)
            yield TvShowResources(tmdb=client, search_index=index)

    return resources()
