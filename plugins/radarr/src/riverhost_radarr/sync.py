"""The sync: Radarr's movies and files into the movie plugin's tables, through its repository.

A full sync reads ``GET /movie`` once (each movie carries its file) and merges every movie with
a file, plus every movie already linked here (so a file Radarr lost is marked deleted); a
single sync reads ``GET /movie/{id}`` and ``GET /moviefile?movieId=``. Each movie is written
in a transaction of its own: one bad movie is reported in the output, the others still land.
Merging (by tmdb_id before creating, only what differs written) is
:func:`riverhost_movie.repository.sync_radarr_movie`'s.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

from riverhost import JobContext
from riverhost_media.arr import image_path, service_file, sync_library, sync_output
from riverhost_media.rows import ServiceFile
from riverhost_movie import repository
from riverhost_radarr.client import RadarrClient, RadarrMovie, RadarrMovieFile

__all__ = ["file_record", "full_sync", "movie_record", "single_sync"]

_STATUS = {"released": "Released", "inCinemas": "Released", "announced": "Planned"}


def _released(movie: RadarrMovie) -> date | None:
    """The first release Radarr knows: in cinemas, else physical, else digital (TMDb's
    ``release_date`` is the first release too)."""
    when = movie.in_cinemas or movie.physical_release or movie.digital_release
    return when.date() if when else None


def movie_record(movie: RadarrMovie) -> repository.RadarrMovie:
    """A Radarr movie in the movie plugin's columns. Radarr's language is a name ("English")
    where the plugin keeps TMDb's code, so it is left to the TMDb refresh."""
    rating = movie.ratings.tmdb or movie.ratings.imdb
    return repository.RadarrMovie(
        radarr_id=movie.id,
        tmdb_id=movie.tmdb_id or None,
        title=movie.title,
        imdb_id=movie.imdb_id or None,
        original_title=movie.original_title or None,
        year=movie.year or None,
        release_date=_released(movie),
        runtime=movie.runtime or None,
        overview=movie.overview or None,
        status=_STATUS.get(movie.status or ""),
        poster_path=image_path(movie.images, "poster"),
        backdrop_path=image_path(movie.images, "fanart"),
        homepage=movie.website or None,
        vote_average=rating.value if rating else None,
        vote_count=rating.votes if rating else None,
        popularity=movie.popularity,
        genres=tuple(movie.genres),
    )


def file_record(file: RadarrMovieFile) -> ServiceFile:
    """A Radarr movie file in the movie plugin's columns."""
    return service_file(file.id, file.path, file.size, file.quality, file.media_info)


async def _write(
    ctx: JobContext, movie: RadarrMovie, files: Sequence[RadarrMovieFile], counts: Counter[str]
) -> str:
    """One movie and its files, in one transaction; counts what changed."""
    async with ctx.transaction() as conn:
        movie_id, status = await repository.sync_radarr_movie(conn, movie_record(movie))
        for file in files:
            synced = await repository.sync_radarr_file(conn, movie_id, file_record(file))
            counts["files_" + synced] += 1
        counts["files_removed"] += await repository.radarr_files_gone(
            conn, movie_id, [file.id for file in files]
        )
    counts[status] += 1
    return status


async def full_sync(radarr: RadarrClient, ctx: JobContext) -> dict[str, Any]:
    """Every Radarr movie with a file (and every one already linked here)."""
    movies = await radarr.movies()
    async with ctx.transaction() as conn:
        linked = await repository.radarr_movie_ids(conn)

    async def write(movie: RadarrMovie, counts: Counter[str]) -> None:
        files: Sequence[RadarrMovieFile]
        if movie.movie_file is not None:
            files = [movie.movie_file]
        elif movie.has_file:
            files = await radarr.movie_files(movie.id)
        else:
            files = []
        await _write(ctx, movie, files, counts)

    return await sync_library(
        ctx,
        "Radarr",
        movies,
        linked,
        id_of=lambda movie: movie.id,
        has_files=lambda movie: bool(movie.has_file or movie.movie_file),
        name=lambda movie: f"movie {movie.id} ({movie.title})",
        write=write,
        groups=("files",),
    )


async def single_sync(radarr: RadarrClient, ctx: JobContext, radarr_id: int) -> dict[str, Any]:
    """One Radarr movie and its files; :class:`~riverhost_media.arr.ArrNotFoundError`
    when Radarr does not have it."""
    movie = await radarr.movie(radarr_id)
    files = await radarr.movie_files(radarr_id) if movie.has_file is not False else []
    counts: Counter[str] = Counter()
    status = await _write(ctx, movie, files, counts)
    ctx.report_progress("syncing", 1, 1, movie.title)
    output = sync_output("single", counts, [], ("files",))
    output.update(radarr_movie_id=radarr_id, title=movie.title, movie=status)
    return output
