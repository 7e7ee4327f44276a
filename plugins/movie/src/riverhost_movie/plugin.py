"""The movie plugin's hooks: settings, resources (TMDb, Typesense), migrations, kinds, schedules.

Heavy modules (the workers, httpx, guessit) are imported inside the hooks, so ``riverhost
plugins list`` and a host that disables this plugin never pay for them.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel

from riverhost import JobKind, Migration, PeriodicJob, UniqueOpts, hookimpl, migrations_from_package
from riverhost_movie.settings import MovieSettings

if TYPE_CHECKING:
    from riverhost_movie.jobs import MovieResources


@hookimpl
def riverhost_settings_model() -> type[BaseModel]:
    return MovieSettings


@hookimpl
def riverhost_migrations() -> list[Migration]:
    return migrations_from_package("riverhost_movie")


@hookimpl
def riverhost_job_kinds(settings: MovieSettings) -> list[JobKind]:
    from riverhost_movie import jobs

    def unique(period: timedelta) -> UniqueOpts:
        return UniqueOpts(by_args=True, by_period=period)

    return [
        JobKind(
            kind=jobs.LibraryScanArgs.kind,
            args=jobs.LibraryScanArgs,
            worker=jobs.library_scan,
            queue="bulk",
            timeout=timedelta(minutes=30),
            max_attempts=3,
            unique=unique(timedelta(minutes=10)),
            description="walk a movie library, match new and changed files, record them",
        ),
        JobKind(
            kind=jobs.MetadataRefreshArgs.kind,
            args=jobs.MetadataRefreshArgs,
            worker=jobs.metadata_refresh,
            queue="default",
            timeout=timedelta(minutes=5),
            max_attempts=5,
            unique=unique(timedelta(minutes=30)),
            description="refresh one movie from TMDb: translations, ratings, genres, credits",
        ),
        JobKind(
            kind=jobs.FileMatchArgs.kind,
            args=jobs.FileMatchArgs,
            worker=jobs.file_match,
            queue="default",
            timeout=timedelta(minutes=5),
            max_attempts=3,
            description="match one file to a movie (TMDb if needed) and record it",
        ),
        JobKind(
            kind=jobs.SearchIndexArgs.kind,
            args=jobs.SearchIndexArgs,
            worker=jobs.search_index,
            queue="default",
            timeout=timedelta(minutes=15),
            max_attempts=5,
            unique=unique(timedelta(minutes=5)),
            description="index, remove or reindex movies in the search backend",
        ),
    ]


@hookimpl
def riverhost_periodic_jobs(settings: MovieSettings) -> list[PeriodicJob]:
    from riverhost_movie.jobs import LibraryScanArgs

    return [
        PeriodicJob(
            id=f"movie_library_scan:{library.id}",
            args=LibraryScanArgs(library_id=library.id),
            every=library.scan_interval,
        )
        for library in settings.libraries
        if library.scan_interval is not None
    ]


@hookimpl
def riverhost_resources(
    settings: MovieSettings,
) -> contextlib.AbstractAsyncContextManager[MovieResources]:
    from riverhost_media.settings import tmdb_client, typesense_index
    from riverhost_movie.jobs import MovieResources
    from riverhost_movie.search import TYPESENSE_COLLECTION, TYPESENSE_FIELDS

    @contextlib.asynccontextmanager
    async def resources() -> AsyncIterator[MovieResources]:
        async with contextlib.AsyncExitStack() as stack:
            client = await stack.enter_async_context(tmdb_client(settings.tmdb))
            index = typesense_index(
                settings.search, collection=TYPESENSE_COLLECTION, fields=TYPESENSE_FIELDS
            )
            if index is not None:
                await stack.enter_async_context(index)
            yield MovieResources(tmdb=client, search_index=index)

    return resources()
