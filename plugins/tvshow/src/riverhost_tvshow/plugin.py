"""The TV plugin's hooks: settings, resources (TMDb, Typesense), migrations, kinds, schedules.

Heavy modules (the workers, httpx, guessit) are imported inside the hooks, so ``riverhost
plugins list`` and a host that disables this plugin never pay for them.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from pydantic import BaseModel

from riverhost import JobKind, Migration, PeriodicJob, hookimpl, migrations_from_package
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
    from riverhost_media.hooks import job_kind as kind
    from riverhost_tvshow import jobs

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
    from riverhost_media.hooks import media_resources
    from riverhost_tvshow.jobs import TvShowResources
    from riverhost_tvshow.search import TYPESENSE_COLLECTION, TYPESENSE_FIELDS

    return media_resources(
        settings,
        collection=TYPESENSE_COLLECTION,
        fields=TYPESENSE_FIELDS,
        resources=lambda tmdb, index: TvShowResources(tmdb=tmdb, search_index=index),
    )
