"""TMDb metadata of one movie: fetched once, written in one transaction; the refresh worker.

:func:`fetch_metadata` asks TMDb for ``/movie/{id}`` in the first language with ``credits``
and ``release_dates`` appended (one request instead of three, under TMDb's rate limit), then
``/movie/{id}`` in each other language for the translations. :func:`save_metadata` writes the
movie, its translations, age ratings, genres and credits in the caller's transaction, so a
refresh replaces credits whole: the seed's soft-delete collision cannot happen.
``metadata_refresh_movie`` cancels (no retry) for a movie that does not exist or has no TMDb
id; TMDb failures fail the attempt and are retried.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

from riverhost import Job, JobCancel, JobContext
from riverhost_media import Credits, MovieDetails, TmdbClient, Translation, normalise_language
from riverhost_movie import repository
from riverhost_movie.jobs import MetadataRefreshArgs, SearchIndexArgs, runtime
from riverhost_movie.repository import Conn

__all__ = ["MovieMetadata", "fetch_metadata", "run_metadata_refresh", "save_metadata"]


@dataclass(frozen=True)
class MovieMetadata:
    """Everything TMDb says about one movie that the tables keep."""

    details: MovieDetails
    credits: Credits
    age_ratings: dict[str, str]
    translations: dict[str, Translation]


async def fetch_metadata(tmdb: TmdbClient, tmdb_id: int, languages: list[str]) -> MovieMetadata:
    """One movie from TMDb in ``languages`` (the first is the movie's own)."""
    first, *others = languages
    details = await tmdb.movie(tmdb_id, language=first, append=("credits", "release_dates"))
    translated = await asyncio.gather(*(tmdb.movie(tmdb_id, language=lang) for lang in others))
    translations = {
        lang: Translation(each.title, each.overview, each.tagline)
        for lang, each in zip(languages, [details, *translated], strict=True)
    }
    return MovieMetadata(
        details=details,
        credits=details.credits or Credits(),
        age_ratings=details.release_dates.certifications() if details.release_dates else {},
        translations=translations,
    )


async def save_metadata(
    conn: Conn, metadata: MovieMetadata, movie_id: uuid.UUID | None = None
) -> tuple[uuid.UUID, bool]:
    """Write ``metadata`` in the caller's transaction; (movie id, whether it was created)."""
    return await repository.upsert_movie(
        conn,
        metadata.details,
        credits=metadata.credits,
        age_ratings=metadata.age_ratings,
        translations=metadata.translations,
        movie_id=movie_id,
    )


async def run_metadata_refresh(job: Job[MetadataRefreshArgs], ctx: JobContext) -> dict[str, Any]:
    """The ``metadata_refresh_movie`` worker."""
    settings, resources = runtime(ctx)
    args = job.args
    try:
        languages = [normalise_language(code) for code in args.languages or []]
    except ValueError as exc:
        raise JobCancel(f"bad languages in args: {exc}") from exc
    languages = list(dict.fromkeys(languages)) or settings.tmdb.languages
    ctx.report_progress("loading", 0, 3, str(args.movie_id))
    async with ctx.transaction() as conn:
        movie = await repository.movie_by_id(conn, args.movie_id)
    if movie is None:
        raise JobCancel(f"movie {args.movie_id} does not exist (or was deleted)")
    if movie["tmdb_id"] is None:
        raise JobCancel(f"movie {args.movie_id} ({movie['title']!r}) has no TMDb id to refresh")
    ctx.report_progress("fetching", 1, 3, movie["title"])
    metadata = await fetch_metadata(resources.tmdb, movie["tmdb_id"], languages)
    ctx.report_progress("saving", 2, 3, metadata.details.title)
    async with ctx.transaction() as conn:
        movie_id, _ = await save_metadata(conn, metadata, movie_id=args.movie_id)
        await ctx.client.insert(SearchIndexArgs(operation="index", movie_id=movie_id), conn=conn)
        output = {
            "movie_id": str(movie_id),
            "tmdb_id": metadata.details.id,
            "title": metadata.details.title,
            "languages": languages,
            "genres": len(metadata.details.genres),
            "credits": len(metadata.credits.cast) + len(metadata.credits.crew),
        }
    # Returned, not completed in the transaction: that would drop the last progress report.
    ctx.report_progress("completed", 3, 3, metadata.details.title)
    return output
