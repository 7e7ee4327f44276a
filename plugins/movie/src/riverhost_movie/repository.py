"""All SQL of the movie plugin's tables (schema ``movie``), as named statements and functions.

Each function takes a connection the caller has in a transaction (``ctx.transaction()``), so
what a worker writes commits or rolls back with its follow-up jobs. Statements that run per
batch of a scan say which index they rely on. No SQL is assembled from input.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from riverhost_media import (
    Credits,
    LibraryFiles,
    MovieDetails,
    ProbeResult,
    Translation,
    genre_slug,
    i18n_column,
    normalise_title,
    scans,
)
from riverhost_media.rows import (
    ServiceFile,
    Sync,
    TitleRow,
    fetch_row,
    insert_row,
    merge_service_file,
    merged,
    scanned_file_columns,
    update_row,
)

__all__ = [
    "FileRecord",
    "MovieCandidate",
    "RadarrFile",
    "RadarrMovie",
    "ScanTotals",
    "file_by_path",
    "forget_unmatched",
    "mark_missing_files",
    "movie_by_id",
    "movie_candidates",
    "radarr_files_gone",
    "radarr_movie_ids",
    "record_unmatched",
    "sync_radarr_file",
    "sync_radarr_movie",
    "touch_files",
    "unlink_radarr_movie",
    "upsert_file",
    "upsert_movie",
]

Conn = psycopg.AsyncConnection[Any]


MovieCandidate = TitleRow
"""A movie a file's parsed title may name."""


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One file to record: where it is, what it is, which movie it holds and how sure."""

    path: str
    size: int
    mtime_ns: int
    movie_id: uuid.UUID
    library_id: str | None
    match_type: str
    confidence: float | None
    probe: ProbeResult | None = None
    probe_error: str | None = None
    quality_profile: str | None = None


@dataclass
class ScanTotals(scans.ScanTotals):
    """A movie scan's counters: the shared ones and the movies it created."""

    new_movies: int = 0


# ---------------------------------------------------------------------------------- files

# The statements a scan runs on the files it recorded or could not match, shared by every
# media plugin (index movie_files_library for the files a scan did not see).
_files = LibraryFiles("movie", "movie_files")
touch_files = _files.touch_files
mark_missing_files = _files.mark_missing_files
record_unmatched = _files.record_unmatched
forget_unmatched = _files.forget_unmatched

_UPSERT_FILE = """
INSERT INTO movie.movie_files (
    id, movie_id, library_id, file_path, file_name, file_size, file_mtime_ns, container,
    resolution, width, height, video_codec, audio_codec, audio_channels, bitrate_kbps,
    duration_seconds, framerate, quality_profile, probe_error, match_type, match_confidence
) VALUES (
    %(id)s, %(movie_id)s, %(library_id)s, %(file_path)s, %(file_name)s, %(file_size)s,
    %(file_mtime_ns)s, %(container)s, %(resolution)s, %(width)s, %(height)s, %(video_codec)s,
    %(audio_codec)s, %(audio_channels)s, %(bitrate_kbps)s, %(duration_seconds)s,
    %(framerate)s, %(quality_profile)s, %(probe_error)s, %(match_type)s, %(match_confidence)s
)
ON CONFLICT (file_path) DO UPDATE SET
    movie_id = EXCLUDED.movie_id,
    library_id = coalesce(EXCLUDED.library_id, movie_files.library_id),
    file_name = EXCLUDED.file_name, file_size = EXCLUDED.file_size,
    file_mtime_ns = EXCLUDED.file_mtime_ns, container = EXCLUDED.container,
    resolution = EXCLUDED.resolution, width = EXCLUDED.width, height = EXCLUDED.height,
    video_codec = EXCLUDED.video_codec, audio_codec = EXCLUDED.audio_codec,
    audio_channels = EXCLUDED.audio_channels, bitrate_kbps = EXCLUDED.bitrate_kbps,
    duration_seconds = EXCLUDED.duration_seconds, framerate = EXCLUDED.framerate,
    quality_profile = EXCLUDED.quality_profile, probe_error = EXCLUDED.probe_error,
    match_type = EXCLUDED.match_type, match_confidence = EXCLUDED.match_confidence,
    last_scanned_at = now(), deleted_at = NULL
RETURNING (xmax = 0) AS created
"""


async def upsert_file(conn: Conn, record: FileRecord) -> bool:
    """Record a file (insert or update by path); True if it is new."""
    params = {
        **scanned_file_columns(record),
        "movie_id": record.movie_id,
        "match_confidence": record.confidence,
    }
    row = await (await conn.execute(_UPSERT_FILE, params)).fetchone()
    return bool(row and row[0])


async def file_by_path(conn: Conn, path: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(file id, movie id) of a recorded, not deleted file at ``path``."""
    cursor = await conn.execute(
        "SELECT id, movie_id FROM movie.movie_files WHERE file_path = %s AND deleted_at IS NULL",
        (path,),
    )
    row = await cursor.fetchone()
    return (row[0], row[1]) if row else None


# ---------------------------------------------------------------------------------- movies

# Index movies_title_norm / movies_original_title_norm for the exact form, movies_title_words
# (GIN) for any shared word; scored in Python (rapidfuzz), so no pg_trgm is needed.
_CANDIDATES = """
SELECT id, title, original_title, year, tmdb_id FROM movie.movies
WHERE deleted_at IS NULL AND (
    title_norm = %(norm)s OR original_title_norm = %(norm)s
    OR (%(words)s <> '' AND title_words @@ to_tsquery('simple', %(words)s))
)
ORDER BY (title_norm = %(norm)s OR original_title_norm = %(norm)s) DESC, popularity DESC NULLS LAST
LIMIT 50
"""

_WORD = re.compile(r"^\w+$")


async def movie_candidates(conn: Conn, title: str) -> list[MovieCandidate]:
    """Movies sharing the normalised title or any of its words of 3+ characters."""
    norm = normalise_title(title)
    words = [word for word in norm.split() if len(word) >= 3 and _WORD.match(word)]
    query = " | ".join(dict.fromkeys(words))
    cursor = await conn.execute(_CANDIDATES, {"norm": norm, "words": query})
    return [MovieCandidate(*row) for row in await cursor.fetchall()]


async def movie_by_id(conn: Conn, movie_id: uuid.UUID) -> dict[str, Any] | None:
    """One movie's row (not deleted), as a dict."""
    return await fetch_row(
        conn, "SELECT * FROM movie.movies WHERE id = %s AND deleted_at IS NULL", (movie_id,)
    )


_UPSERT_MOVIE = """
INSERT INTO movie.movies (
    id, tmdb_id, imdb_id, title, original_title, title_norm, original_title_norm, year,
    release_date, runtime, overview, tagline, status, original_language, poster_path,
    backdrop_path, homepage, vote_average, vote_count, popularity, budget, revenue,
    titles_i18n, taglines_i18n, overviews_i18n, age_ratings, metadata_updated_at
) VALUES (
    %(id)s, %(tmdb_id)s, %(imdb_id)s, %(title)s, %(original_title)s, %(title_norm)s,
    %(original_title_norm)s, %(year)s, %(release_date)s, %(runtime)s, %(overview)s,
    %(tagline)s, %(status)s, %(original_language)s, %(poster_path)s, %(backdrop_path)s,
    %(homepage)s, %(vote_average)s, %(vote_count)s, %(popularity)s, %(budget)s, %(revenue)s,
    %(titles_i18n)s, %(taglines_i18n)s, %(overviews_i18n)s, %(age_ratings)s, now()
)
ON CONFLICT (tmdb_id) DO UPDATE SET
    imdb_id = EXCLUDED.imdb_id, title = EXCLUDED.title,
    original_title = EXCLUDED.original_title, title_norm = EXCLUDED.title_norm,
    original_title_norm = EXCLUDED.original_title_norm, year = EXCLUDED.year,
    release_date = EXCLUDED.release_date, runtime = EXCLUDED.runtime,
    overview = EXCLUDED.overview, tagline = EXCLUDED.tagline, status = EXCLUDED.status,
    original_language = EXCLUDED.original_language, poster_path = EXCLUDED.poster_path,
    backdrop_path = EXCLUDED.backdrop_path, homepage = EXCLUDED.homepage,
    vote_average = EXCLUDED.vote_average, vote_count = EXCLUDED.vote_count,
    popularity = EXCLUDED.popularity, budget = EXCLUDED.budget, revenue = EXCLUDED.revenue,
    titles_i18n = EXCLUDED.titles_i18n, taglines_i18n = EXCLUDED.taglines_i18n,
    overviews_i18n = EXCLUDED.overviews_i18n, age_ratings = EXCLUDED.age_ratings,
    metadata_updated_at = now(), deleted_at = NULL
RETURNING id, (xmax = 0) AS created
"""

_INSERT_GENRE = """
INSERT INTO movie.movie_genres (movie_id, slug, name, tmdb_genre_id) VALUES (%s, %s, %s, %s)
ON CONFLICT (movie_id, slug) DO UPDATE SET name = EXCLUDED.name
"""

_INSERT_CREDIT = """
INSERT INTO movie.movie_credits (
    movie_id, tmdb_person_id, name, profile_path, credit_type, character, cast_order, job,
    department
) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT DO NOTHING
"""


async def upsert_movie(
    conn: Conn,
    details: MovieDetails,
    *,
    credits: Credits,
    age_ratings: Mapping[str, str],
    translations: Mapping[str, Translation],
    movie_id: uuid.UUID | None = None,
) -> tuple[uuid.UUID, bool]:
    """Write a movie with its genres and credits (replacing the old ones) in the caller's
    transaction; keyed by ``tmdb_id``. Returns (movie id, whether it was created)."""

    params = {
        "id": movie_id or uuid.uuid4(),
        "tmdb_id": details.id,
        "imdb_id": details.imdb_id,
        "title": details.title,
        "original_title": details.original_title,
        "title_norm": normalise_title(details.title),
        "original_title_norm": (
            normalise_title(details.original_title) if details.original_title else None
        ),
        "year": details.year,
        "release_date": details.release_date,
        "runtime": details.runtime,
        "overview": details.overview,
        "tagline": details.tagline,
        "status": details.status,
        "original_language": details.original_language,
        "poster_path": details.poster_path,
        "backdrop_path": details.backdrop_path,
        "homepage": details.homepage or None,
        "vote_average": details.vote_average,
        "vote_count": details.vote_count,
        "popularity": details.popularity,
        "budget": details.budget,
        "revenue": details.revenue,
        "titles_i18n": i18n_column(translations, "title"),
        "taglines_i18n": i18n_column(translations, "tagline"),
        "overviews_i18n": i18n_column(translations, "overview"),
        "age_ratings": Jsonb(dict(age_ratings)),
    }
    row = await (await conn.execute(_UPSERT_MOVIE, params)).fetchone()
    assert row is not None
    saved_id: uuid.UUID = row[0]
    created = bool(row[1])
    # Replaced, never soft-deleted: the seed's soft-delete collided with its unique index.
    await conn.execute("DELETE FROM movie.movie_genres WHERE movie_id = %s", (saved_id,))
    await conn.execute("DELETE FROM movie.movie_credits WHERE movie_id = %s", (saved_id,))
    async with conn.cursor() as cursor:
        genres = [(saved_id, genre_slug(g.name), g.name, g.id) for g in details.genres]
        if genres:
            await cursor.executemany(_INSERT_GENRE, genres)
        people = [
            (saved_id, c.id, c.name, c.profile_path, "cast", c.character or "", c.order, "", None)
            for c in credits.cast
        ] + [
            (saved_id, c.id, c.name, c.profile_path, "crew", "", None, c.job or "", c.department)
            for c in credits.crew
        ]
        if people:
            await cursor.executemany(_INSERT_CREDIT, people)
    return saved_id, created


# ----------------------------------------------------------------- movies managed by Radarr
#
# Radarr's sync merges with what the scan and the TMDb refresh already wrote: a movie is found
# by its tmdb_id first, then by its radarr_id, and only created when neither is known. A movie
# this plugin refreshed from TMDb (metadata_updated_at set) keeps its TMDb values, and Radarr
# only fills what is missing; a movie Radarr created is Radarr's to update. Files likewise: a
# file the scan recorded keeps its probe, Radarr only fills gaps and links its file id. Only
# what differs is written, so syncing an unchanged library writes nothing.


@dataclass(frozen=True)
class RadarrMovie:
    """A movie as Radarr describes it, in this plugin's columns."""

    radarr_id: int
    tmdb_id: int | None
    title: str
    imdb_id: str | None = None
    original_title: str | None = None
    year: int | None = None
    release_date: date | None = None
    runtime: int | None = None
    overview: str | None = None
    status: str | None = None
    poster_path: str | None = None
    backdrop_path: str | None = None
    homepage: str | None = None
    vote_average: float | None = None
    vote_count: int | None = None
    popularity: float | None = None
    genres: tuple[str, ...] = ()


RadarrFile = ServiceFile
"""A file as Radarr describes it (``file_id`` is its radarr_file_id)."""


_MOVIE_FIELDS = (
    "imdb_id", "title", "original_title", "year", "release_date", "runtime", "overview",
    "status", "poster_path", "backdrop_path", "homepage", "vote_average", "vote_count",
    "popularity",
)  # fmt: skip

# The unique tmdb_id and index movies_radarr_id; the tmdb_id match wins.
_FIND_RADARR_MOVIE = """
SELECT * FROM movie.movies WHERE tmdb_id = %(tmdb_id)s OR radarr_id = %(radarr_id)s
ORDER BY (tmdb_id = %(tmdb_id)s) DESC NULLS LAST, deleted_at IS NULL DESC LIMIT 1
"""

# The unique file_path and index movie_files_radarr_file_id; the path match wins.
_FIND_RADARR_FILE = """
SELECT * FROM movie.movie_files WHERE file_path = %(path)s OR radarr_file_id = %(file_id)s
ORDER BY (file_path = %(path)s) DESC LIMIT 1
"""


async def sync_radarr_movie(conn: Conn, movie: RadarrMovie) -> tuple[uuid.UUID, Sync]:
    """Merge one Radarr movie into ``movie.movies`` (see above); return its id and what
    changed."""
    params = {"tmdb_id": movie.tmdb_id, "radarr_id": movie.radarr_id}
    row = await fetch_row(conn, _FIND_RADARR_MOVIE, params)
    wanted = {field: getattr(movie, field) for field in _MOVIE_FIELDS}
    if row is None:
        movie_id = uuid.uuid4()
        await insert_row(
            conn,
            "movie",
            "movies",
            {
                "id": movie_id,
                "tmdb_id": movie.tmdb_id,
                "radarr_id": movie.radarr_id,
                "title_norm": normalise_title(movie.title),
                "original_title_norm": _norm(movie.original_title),
                **wanted,
            },
        )
        await _replace_genres(conn, movie_id, movie.genres)
        return movie_id, "added"
    movie_id = row["id"]
    owned = row["metadata_updated_at"] is None
    changes = merged(row, wanted, owned=owned)
    title = changes.get("title", row["title"])
    original = changes.get("original_title", row["original_title"])
    extra = {
        "tmdb_id": movie.tmdb_id or row["tmdb_id"],
        "radarr_id": movie.radarr_id,
        "title_norm": normalise_title(str(title)),
        "original_title_norm": _norm(original),
        "deleted_at": None,
    }
    changes.update({k: v for k, v in extra.items() if row[k] != v})
    if changes:
        await update_row(conn, "movie", "movies", movie_id, changes)
    # Another row still naming this Radarr movie (its tmdb_id changed in Radarr) lets go.
    cursor = await conn.execute(
        "UPDATE movie.movies SET radarr_id = NULL WHERE radarr_id = %s AND id <> %s",
        (movie.radarr_id, movie_id),
    )
    genres_changed = owned and await _replace_genres(conn, movie_id, movie.genres)
    changed = bool(changes) or cursor.rowcount > 0 or genres_changed
    return movie_id, "updated" if changed else "unchanged"


def _norm(title: str | None) -> str | None:
    return normalise_title(title) if title else None


async def _replace_genres(conn: Conn, movie_id: uuid.UUID, names: Sequence[str]) -> bool:
    """Make the movie's genres ``names``; True if they changed."""
    wanted = {genre_slug(name): name for name in names}
    cursor = await conn.execute(
        "SELECT slug, name FROM movie.movie_genres WHERE movie_id = %s", (movie_id,)
    )
    if dict(await cursor.fetchall()) == wanted:
        return False
    await conn.execute("DELETE FROM movie.movie_genres WHERE movie_id = %s", (movie_id,))
    if wanted:
        async with conn.cursor() as cursor:
            rows = [(movie_id, slug, name, None) for slug, name in wanted.items()]
            await cursor.executemany(_INSERT_GENRE, rows)
    return True


async def sync_radarr_file(conn: Conn, movie_id: uuid.UUID, file: RadarrFile) -> Sync:
    """Merge one Radarr movie file into ``movie.movie_files`` (by path, then Radarr file id);
    return what changed. A renamed file keeps its row; a row the rename left behind is marked
    deleted."""
    params = {"path": file.path, "file_id": file.file_id}
    row = await fetch_row(conn, _FIND_RADARR_FILE, params)
    row_id, sync = await merge_service_file(
        conn,
        "movie",
        "movie_files",
        row,
        file,
        service="radarr",
        identity={"movie_id": movie_id},
        new={"match_confidence": 1.0},
    )
    if row is None:
        return sync
    cursor = await conn.execute(
        "UPDATE movie.movie_files SET radarr_file_id = NULL, deleted_at = coalesce(deleted_at, "
        "now()) WHERE radarr_file_id = %s AND id <> %s",
        (file.file_id, row_id),
    )
    return "updated" if cursor.rowcount else sync


async def radarr_files_gone(conn: Conn, movie_id: uuid.UUID, keep: Sequence[int]) -> int:
    """Mark the movie's Radarr files not in ``keep`` deleted; return how many."""
    cursor = await conn.execute(
        "UPDATE movie.movie_files SET deleted_at = now() WHERE movie_id = %s "
        "AND radarr_file_id IS NOT NULL AND deleted_at IS NULL "
        "AND NOT (radarr_file_id = ANY(%s))",
        (movie_id, list(keep)),
    )
    return cursor.rowcount


async def radarr_movie_ids(conn: Conn) -> set[int]:
    """The Radarr ids of the movies recorded here (not deleted)."""
    cursor = await conn.execute(
        "SELECT radarr_id FROM movie.movies WHERE radarr_id IS NOT NULL AND deleted_at IS NULL"
    )
    return {row[0] for row in await cursor.fetchall()}


async def unlink_radarr_movie(conn: Conn, radarr_id: int, *, files_deleted: bool) -> bool:
    """Radarr deleted this movie: forget its Radarr id (the movie stays, the scan may still
    find it) and, when Radarr deleted the files too, mark its Radarr files deleted. True if
    a movie had that id."""
    cursor = await conn.execute(
        "UPDATE movie.movies SET radarr_id = NULL WHERE radarr_id = %s RETURNING id", (radarr_id,)
    )
    ids = [row[0] for row in await cursor.fetchall()]
    if ids and files_deleted:
        await conn.execute(
            "UPDATE movie.movie_files SET deleted_at = coalesce(deleted_at, now()) "
            "WHERE movie_id = ANY(%s) AND radarr_file_id IS NOT NULL",
            (ids,),
        )
    return bool(ids)
