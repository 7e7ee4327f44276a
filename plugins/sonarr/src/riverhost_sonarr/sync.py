"""The sync: Sonarr's series, seasons, episodes and episode files into the tvshow plugin's
tables, through its repository.

A full sync reads ``GET /series`` once and merges every series with episode files, plus every
series already linked here (so files Sonarr lost are marked deleted); each series then costs
``GET /episode?seriesId=`` and ``GET /episodefile?seriesId=``. A single sync reads
``GET /series/{id}`` first. Each series is written in a transaction of its own: one bad series
is reported in the output, the others still land. Merging (by tvdb_id, then tmdb_id, before
creating; only what differs written) is :mod:`riverhost_tvshow.repository`'s.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from riverhost import JobContext
from riverhost_media.arr import image_path, service_file, sync_library, sync_output
from riverhost_media.rows import ServiceFile
from riverhost_sonarr.client import SonarrClient, SonarrEpisode, SonarrEpisodeFile, SonarrSeries
from riverhost_tvshow import repository

__all__ = ["episode_record", "file_record", "full_sync", "series_record", "single_sync"]

GROUPS = ("seasons", "episodes", "files")
_STATUS = {"continuing": "Returning Series", "ended": "Ended", "upcoming": "Planned"}
_TYPE = {"standard": "Scripted", "daily": "Talk Show", "anime": "Animation"}


def series_record(series: SonarrSeries) -> repository.SonarrSeries:
    """A Sonarr series in the tvshow plugin's columns (TMDb's status and type words)."""
    stats = series.statistics
    return repository.SonarrSeries(
        sonarr_id=series.id,
        tvdb_id=series.tvdb_id or None,
        tmdb_id=series.tmdb_id or None,
        title=series.title,
        imdb_id=series.imdb_id or None,
        overview=series.overview or None,
        status=_STATUS.get(series.status or ""),
        type=_TYPE.get(series.series_type or ""),
        first_air_date=series.first_aired.date() if series.first_aired else None,
        last_air_date=series.last_aired.date() if series.last_aired else None,
        year=series.year or None,
        vote_average=series.ratings.value if series.ratings.votes else None,
        vote_count=series.ratings.votes or None,
        poster_path=image_path(series.images, "poster"),
        backdrop_path=image_path(series.images, "fanart"),
        total_seasons=sum(1 for season in series.seasons if season.season_number > 0) or None,
        total_episodes=stats.total_episode_count if stats else None,
    )


def episode_record(episode: SonarrEpisode) -> repository.SonarrEpisode:
    return repository.SonarrEpisode(
        season_number=episode.season_number,
        episode_number=episode.episode_number,
        title=episode.title or f"Episode {episode.episode_number}",
        tvdb_id=episode.tvdb_id or None,
        overview=episode.overview or None,
        air_date=episode.air_date,
        runtime=episode.runtime or None,
    )


def file_record(file: SonarrEpisodeFile) -> ServiceFile:
    """A Sonarr episode file in the tvshow plugin's columns."""
    return service_file(file.id, file.path, file.size, file.quality, file.media_info)


async def _read(
    sonarr: SonarrClient, series_id: int
) -> tuple[list[SonarrEpisode], list[SonarrEpisodeFile]]:
    return await sonarr.episodes(series_id), await sonarr.episode_files(series_id)


async def _write(
    ctx: JobContext,
    series: SonarrSeries,
    episodes: Sequence[SonarrEpisode],
    files: Sequence[SonarrEpisodeFile],
    counts: Counter[str],
) -> str:
    """One series with its seasons, episodes and files, in one transaction; counts what
    changed."""
    by_season: defaultdict[int, list[SonarrEpisode]] = defaultdict(list)
    for episode in episodes:
        by_season[episode.season_number].append(episode)
    files_by_id = {file.id: file for file in files}
    async with ctx.transaction() as conn:
        series_id, status = await repository.sync_sonarr_series(conn, series_record(series))
        kept = []
        for number, in_season in sorted(by_season.items()):
            season_id, synced = await repository.sync_sonarr_season(
                conn, series_id, number, len(in_season)
            )
            counts["seasons_" + synced] += 1
            for episode in in_season:
                episode_id, synced = await repository.sync_sonarr_episode(
                    conn, series_id, season_id, episode_record(episode)
                )
                counts["episodes_" + synced] += 1
                file = files_by_id.get(episode.episode_file_id)
                if file is None:
                    continue
                row_id, synced = await repository.sync_sonarr_file(
                    conn, episode_id, file_record(file)
                )
                kept.append(row_id)
                counts["files_" + synced] += 1
        counts["files_removed"] += await repository.sonarr_files_gone(conn, series_id, kept)
    counts[status] += 1
    return status


async def full_sync(sonarr: SonarrClient, ctx: JobContext) -> dict[str, Any]:
    """Every Sonarr series with episode files (and every one already linked here)."""
    all_series = await sonarr.all_series()
    async with ctx.transaction() as conn:
        linked = await repository.sonarr_series_ids(conn)

    async def write(series: SonarrSeries, counts: Counter[str]) -> None:
        await _write(ctx, series, *await _read(sonarr, series.id), counts)

    return await sync_library(
        ctx,
        "Sonarr",
        all_series,
        linked,
        id_of=lambda series: series.id,
        has_files=lambda series: bool(series.statistics and series.statistics.episode_file_count),
        name=lambda series: f"series {series.id} ({series.title})",
        write=write,
        groups=GROUPS,
    )


async def single_sync(sonarr: SonarrClient, ctx: JobContext, sonarr_id: int) -> dict[str, Any]:
    """One Sonarr series with its seasons, episodes and files;
    :class:`~riverhost_media.arr.ArrNotFoundError` when Sonarr does not have it."""
    series = await sonarr.series(sonarr_id)
    episodes, files = await _read(sonarr, sonarr_id)
    counts: Counter[str] = Counter()
    status = await _write(ctx, series, episodes, files, counts)
    ctx.report_progress("syncing", 1, 1, series.title)
    output = sync_output("single", counts, [], GROUPS)
    output.update(sonarr_series_id=sonarr_id, title=series.title, series=status)
    return output
