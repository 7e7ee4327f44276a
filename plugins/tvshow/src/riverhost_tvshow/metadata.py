"""TMDb metadata of series and seasons: fetched, then written in one transaction per series;
the ``tvshow_metadata_refresh`` and ``tvshow_series_refresh`` workers.

:func:`fetch_series` asks for ``/tv/{id}`` in the first language with ``credits``,
``content_ratings`` and ``external_ids`` appended (one request instead of four), then in each
other language for the translations. :func:`fetch_season` is ``/tv/{id}/season/{n}`` with
every episode. Writes replace credits, genres and networks whole.

Fixed from the seeds: the batch refresh (no ids) reports progress per series and fails only
for what failed (it lists them) after doing the rest; the series refresh fails when the series
refresh itself fails instead of always succeeding; a series, season or episode that does not
exist, or has no TMDb id, cancels the job with the reason instead of retrying it.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

from riverhost import Job, JobCancel, JobContext
from riverhost_media import SeasonDetails, TmdbClient, TmdbError, TvDetails, normalise_language
from riverhost_tvshow import repository
from riverhost_tvshow.jobs import MetadataRefreshArgs, SearchIndexArgs, SeriesRefreshArgs, runtime
from riverhost_tvshow.repository import Conn, Translation

__all__ = [
    "SeriesMetadata",
    "fetch_season",
    "fetch_series",
    "run_metadata_refresh",
    "run_series_refresh",
    "save_series",
]

#: The seeds' default batch size for a refresh of every series.
DEFAULT_BATCH_SIZE = 50


@dataclass(frozen=True)
class SeriesMetadata:
    """Everything TMDb says about one series that the tables keep (seasons aside)."""

    details: TvDetails
    translations: dict[str, Translation]


async def fetch_series(tmdb: TmdbClient, tmdb_id: int, languages: list[str]) -> SeriesMetadata:
    """One series from TMDb in ``languages`` (the first is the series' own)."""
    first, *others = languages
    details = await tmdb.tv(
        tmdb_id, language=first, append=("credits", "content_ratings", "external_ids")
    )
    translated = await asyncio.gather(*(tmdb.tv(tmdb_id, language=lang) for lang in others))
    translations = {
        lang: Translation(each.name, each.overview, each.tagline)
        for lang, each in zip(languages, [details, *translated], strict=True)
    }
    return SeriesMetadata(details=details, translations=translations)


async def fetch_season(
    tmdb: TmdbClient, tmdb_id: int, season_number: int, languages: list[str]
) -> SeasonDetails:
    """One season with its episodes, in the first language."""
    return await tmdb.tv_season(tmdb_id, season_number, language=languages[0])


async def save_series(conn: Conn, metadata: SeriesMetadata) -> tuple[uuid.UUID, bool]:
    """Write ``metadata`` in the caller's transaction; (series id, whether it was created)."""
    return await repository.upsert_series(conn, metadata.details, metadata.translations)


def _languages(codes: list[str] | None, default: list[str]) -> list[str]:
    try:
        languages = [normalise_language(code) for code in codes or []]
    except ValueError as exc:
        raise JobCancel(f"bad languages in args: {exc}") from exc
    return list(dict.fromkeys(languages)) or default


async def _load_series(ctx: JobContext, series_id: uuid.UUID) -> tuple[str, int]:
    async with ctx.transaction() as conn:
        series = await repository.series_by_id(conn, series_id)
    if series is None:
        raise JobCancel(f"series {series_id} does not exist (or was deleted)")
    if series["tmdb_id"] is None:
        raise JobCancel(f"series {series_id} ({series['title']!r}) has no TMDb id to refresh")
    return str(series["title"]), int(series["tmdb_id"])


async def refresh_series(
    ctx: JobContext, tmdb: TmdbClient, series_id: uuid.UUID, languages: list[str]
) -> tuple[SeriesMetadata, list[int]]:
    """Refresh one series (not its seasons) in one transaction, with its search-index job;
    return its metadata and the season numbers already in the table."""
    _, tmdb_id = await _load_series(ctx, series_id)
    metadata = await fetch_series(tmdb, tmdb_id, languages)
    async with ctx.transaction() as conn:
        await save_series(conn, metadata)
        await ctx.client.insert(SearchIndexArgs(series_id=series_id), conn=conn)
        cursor = await conn.execute(
            "SELECT season_number FROM tvshow.seasons WHERE series_id = %s ORDER BY 1",
            (series_id,),
        )
        seasons = [row[0] for row in await cursor.fetchall()]
    return metadata, seasons


async def _refresh_season(
    ctx: JobContext,
    tmdb: TmdbClient,
    series_id: uuid.UUID,
    tmdb_id: int,
    number: int,
    langs: list[str],
) -> SeasonDetails:
    season = await fetch_season(tmdb, tmdb_id, number, langs)
    async with ctx.transaction() as conn:
        await repository.upsert_season(conn, series_id, season)
    return season


async def run_metadata_refresh(job: Job[MetadataRefreshArgs], ctx: JobContext) -> dict[str, Any]:
    """The ``tvshow_metadata_refresh`` worker: episode, season, series, or every series."""
    settings, resources = runtime(ctx)
    tmdb, languages, args = resources.tmdb, settings.tmdb.languages, job.args
    if args.episode_id is not None or args.season_id is not None:
        table, wanted = (
            ("episodes", args.episode_id) if args.episode_id else ("seasons", args.season_id)
        )
        async with ctx.transaction() as conn:
            cursor = await conn.execute(
                f"SELECT series_id, season_number FROM tvshow.{table} WHERE id = %s",
                (wanted,),
            )
            row = await cursor.fetchone()
        if row is None:
            raise JobCancel(f"{table[:-1]} {wanted} does not exist")
        series_id, number = row
        _, tmdb_id = await _load_series(ctx, series_id)
        ctx.report_progress("refreshing", 0, 1, f"season {number}")
        season = await _refresh_season(ctx, tmdb, series_id, tmdb_id, number, languages)
        ctx.report_progress("completed", 1, 1, f"season {number}")
        return {
            "series_id": str(series_id),
            "season_number": number,
            "episodes": len(season.episodes),
        }
    if args.series_id is not None:
        ctx.report_progress("refreshing", 0, 1, str(args.series_id))
        metadata, _ = await refresh_series(ctx, tmdb, args.series_id, languages)
        ctx.report_progress("completed", 1, 1, metadata.details.name)
        return {"series_id": str(args.series_id), "title": metadata.details.name}
    # Every series, a page at a time; one transaction per series; failures listed at the end.
    batch = args.batch_size or DEFAULT_BATCH_SIZE
    async with ctx.transaction() as conn:
        cursor = await conn.execute(
            "SELECT count(*) FROM tvshow.series WHERE deleted_at IS NULL AND tmdb_id IS NOT NULL"
        )
        row = await cursor.fetchone()
    total = int(row[0]) if row else 0
    done, failed, after = 0, [], uuid.UUID(int=0)
    while True:
        ctx.raise_if_cancelled()
        async with ctx.transaction() as conn:
            cursor = await conn.execute(
                "SELECT id, title FROM tvshow.series WHERE deleted_at IS NULL "
                "AND tmdb_id IS NOT NULL AND id > %s ORDER BY id LIMIT %s",
                (after, batch),
            )
            page = await cursor.fetchall()
        if not page:
            break
        for series_id, title in page:
            try:
                await refresh_series(ctx, tmdb, series_id, languages)
            except TmdbError as exc:
                failed.append({"series_id": str(series_id), "title": title, "error": str(exc)})
            done += 1
            ctx.report_progress("refreshing", done, total, title)
        after = page[-1][0]
    if failed and len(failed) == done:
        raise RuntimeError(f"every series refresh failed; first: {failed[0]['error']}")
    ctx.report_progress("completed", done, total, "")
    return {"refreshed": done - len(failed), "failed": failed[:20], "failed_count": len(failed)}


async def run_series_refresh(job: Job[SeriesRefreshArgs], ctx: JobContext) -> dict[str, Any]:
    """The ``tvshow_series_refresh`` worker: the series, then each season with its episodes."""
    settings, resources = runtime(ctx)
    args = job.args
    languages = _languages(args.languages, settings.tmdb.languages)
    ctx.report_progress("refreshing series", 0, 1, str(args.series_id))
    metadata, known = await refresh_series(ctx, resources.tmdb, args.series_id, languages)
    output: dict[str, Any] = {
        "series_id": str(args.series_id),
        "title": metadata.details.name,
        "seasons": 0,
        "episodes": 0,
    }
    if not (args.refresh_seasons or args.refresh_episodes):
        ctx.report_progress("completed", 1, 1, metadata.details.name)
        return output
    # TMDb's seasons, plus any the table has that TMDb no longer lists (they fail loudly).
    numbers = sorted({s.season_number for s in metadata.details.seasons} | set(known))
    for index, number in enumerate(numbers):
        ctx.raise_if_cancelled()
        name = (
            next((s.name for s in metadata.details.seasons if s.season_number == number), None)
            or f"Season {number}"
        )
        ctx.report_progress("refreshing seasons", index, len(numbers), name)
        season = await _refresh_season(
            ctx, resources.tmdb, args.series_id, metadata.details.id, number, languages
        )
        output["seasons"] += 1
        output["episodes"] += len(season.episodes)
    ctx.report_progress("completed", len(numbers), len(numbers), metadata.details.name)
    return output
