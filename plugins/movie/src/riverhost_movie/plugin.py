"""The movie plugin's hooks: settings, resources (TMDb, Typesense), migrations, kinds, schedules.

Heavy modules (the workers, httpx, guessit) are imported inside the hooks, so ``riverhost
plugins list`` and a host that disables this plugin never pay for them.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from pydantic import BaseModel

from riverhost import JobKind, Migration, PeriodicJob, hookimpl, migrations_from_package
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
    from riverhost_media.hooks import job_kind as kind
    from riverhost_movie import jobs

    return [
        kind(
            jobs.LibraryScanArgs,
            jobs.library_scan,
            30,
            "walk a movie library, match new and changed files, record them",
        ),
        kind(
            jobs.MetadataRefreshArgs,
            jobs.metadata_refresh,
            5,
            "refresh one movie from TMDb: translations, ratings, genres, credits",
        ),
        kind(
            jobs.FileMatchArgs,
            jobs.file_match,
            5,
            "match one file to a movie (TMDb if needed) and record it",
        ),
        kind(
            jobs.SearchIndexArgs,
            jobs.search_index,
            15,
            "index, remove or reindex movies in the search backend",
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
    from riverhost_media.hooks import media_resources
    from riverhost_movie.jobs import MovieResources
    from riverhost_movie.search import TYPESENSE_COLLECTION, TYPESENSE_FIELDS

    return media_resources(
        settings,
        collection=TYPESENSE_COLLECTION,
        fields=TYPESENSE_FIELDS,
        resources=lambda tmdb, index: MovieResources(tmdb=tmdb, search_index=index),
    )
