"""All SQL of the TV plugin's tables (schema ``tvshow``), as named statements and functions.

Each function takes a connection the caller has in a transaction (``ctx.transaction()``), so
what a worker writes commits or rolls back with its follow-up jobs. No SQL is assembled from
input.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from riverhost_media import (
    LibraryFiles,
    ProbeResult,
    SeasonDetails,
    Translation,
    TvDetails,
    genre_slug,
    i18n_column,
    normalise_title,
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
    "Conn",
    "FileRecord",
    "SeriesRow",
    "SonarrEpisode",
    "SonarrFile",
    "SonarrSeries",
    "Translation",
    "episode_ids",
    "files_by_path",
    "forget_unmatched",
    "mark_missing_files",
    "record_unmatched",
    "series_by_id",
    "series_by_title",
    "series_id_by_tmdb",
    "sonarr_files_gone",
    "sonarr_series_ids",
    "sync_sonarr_episode",
    "sync_sonarr_file",
    "sync_sonarr_season",
    "sync_sonarr_series",
    "touch_files",
    "unlink_sonarr_series",
    "upsert_file",
    "upsert_season",
    "upsert_series",
]

Conn = psycopg.AsyncConnection[Any]


SeriesRow = TitleRow
"""A series a file's parsed title may name."""


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One file holding one episode: where it is, what it is, how it was matched."""

    path: str
    size: int
    mtime_ns: int
    episode_id: uuid.UUID
    library_id: str | None
    match_type: str
    probe: ProbeResult | None = None
    probe_error: str | None = None
    quality_profile: str | None = None


# ---------------------------------------------------------------------------------- files

# The statements a scan runs on the files it recorded or could not match, shared by every
# media plugin.
_files = LibraryFiles("tvshow", "episode_files")
touch_files = _files.touch_files
mark_missing_files = _files.mark_missing_files
record_unmatched = _files.record_unmatched
forget_unmatched = _files.forget_unmatched

_UPSERT_FILE = """
INSERT INTO tvshow.episode_files (
    id, episode_id, library_id, file_path, file_name, file_size, file_mtime_ns, container,
    resolution, width, height, video_codec, audio_codec, audio_channels, bitrate_kbps,
    duration_seconds, framerate, quality_profile, probe_error, match_type
) VALUES (
    %(id)s, %(episode_id)s, %(library_id)s, %(file_path)s, %(file_name)s, %(file_size)s,
    %(file_mtime_ns)s, %(container)s, %(resolution)s, %(width)s, %(height)s, %(video_codec)s,
    %(audio_codec)s, %(audio_channels)s, %(bitrate_kbps)s, %(duration_seconds)s,
    %(framerate)s, %(quality_profile)s, %(probe_error)s, %(match_type)s
)
ON CONFLICT (file_path, episode_id) DO UPDATE SET
    library_id = coalesce(EXCLUDED.library_id, episode_files.library_id),
    file_name = EXCLUDED.file_name, file_size = EXCLUDED.file_size,
    file_mtime_ns = EXCLUDED.file_mtime_ns, container = EXCLUDED.container,
    resolution = EXCLUDED.resolution, width = EXCLUDED.width, height = EXCLUDED.height,
    video_codec = EXCLUDED.video_codec, audio_codec = EXCLUDED.audio_codec,
    audio_channels = EXCLUDED.audio_channels, bitrate_kbps = EXCLUDED.bitrate_kbps,
    duration_seconds = EXCLUDED.duration_seconds, framerate = EXCLUDED.framerate,
    quality_profile = EXCLUDED.quality_profile, probe_error = EXCLUDED.probe_error,
    match_type = EXCLUDED.match_type, last_scanned_at = now(), deleted_at = NULL
RETURNING (xmax = 0) AS created
"""


async def drop_other_episodes(conn: Conn, path: str, keep: Sequence[uuid.UUID]) -> None:
    """A changed file's rows for episodes it no longer holds go."""
    await conn.execute(
        "DELETE FROM tvshow.episode_files WHERE file_path = %s AND NOT episode_id = ANY(%s)",
        (path, list(keep)),
    )


async def upsert_file(conn: Conn, record: FileRecord) -> bool:
    """Record a file's episode (insert or update by path and episode); True if it is new."""
    params = {**scanned_file_columns(record), "episode_id": record.episode_id}
    row = await (await conn.execute(_UPSERT_FILE, params)).fetchone()
    return bool(row and row[0])


async def files_by_path(conn: Conn, path: str) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(episode id, series id) of each live record of the file at ``path``."""
    cursor = await conn.execute(
        "SELECT f.episode_id, e.series_id FROM tvshow.episode_files f "
        "JOIN tvshow.episodes e ON e.id = f.episode_id "
        "WHERE f.file_path = %s AND f.deleted_at IS NULL",
        (path,),
    )
    return [(row[0], row[1]) for row in await cursor.fetchall()]


# ---------------------------------------------------------------------------------- series

_BY_TITLE = """
SELECT id, title, original_title, year, tmdb_id FROM tvshow.series
WHERE deleted_at IS NULL AND (title_norm = %(norm)s OR original_title_norm = %(norm)s)
ORDER BY (%(year)s::int IS NOT NULL AND year = %(year)s) DESC, popularity DESC NULLS LAST
LIMIT 1
"""


async def series_by_title(conn: Conn, title: str, year: int | None) -> SeriesRow | None:
    """The series called ``title`` (normalised; the same year first), or None."""
    cursor = await conn.execute(_BY_TITLE, {"norm": normalise_title(title), "year": year})
    row = await cursor.fetchone()
    return SeriesRow(*row) if row else None


async def series_id_by_tmdb(conn: Conn, tmdb_id: int) -> uuid.UUID | None:
    """The series with this TMDb id, or None."""
    cursor = await conn.execute(
        "SELECT id FROM tvshow.series WHERE tmdb_id = %s AND deleted_at IS NULL", (tmdb_id,)
    )
    row = await cursor.fetchone()
    return row[0] if row else None


async def series_by_id(conn: Conn, series_id: uuid.UUID) -> dict[str, Any] | None:
    """One series' row (not deleted), as a dict."""
    return await fetch_row(
        conn, "SELECT * FROM tvshow.series WHERE id = %s AND deleted_at IS NULL", (series_id,)
    )


_UPSERT_SERIES = """
INSERT INTO tvshow.series (
    id, tmdb_id, tvdb_id, imdb_id, title, original_title, title_norm, original_title_norm,
    original_language, tagline, overview, titles_i18n, overviews_i18n, taglines_i18n,
    age_ratings, status, type, first_air_date, last_air_date, year, vote_average, vote_count,
    popularity, poster_path, backdrop_path, total_seasons, total_episodes, homepage,
    metadata_updated_at
) VALUES (
    %(id)s, %(tmdb_id)s, %(tvdb_id)s, %(imdb_id)s, %(title)s, %(original_title)s,
    %(title_norm)s, %(original_title_norm)s, %(original_language)s, %(tagline)s, %(overview)s,
    %(titles_i18n)s, %(overviews_i18n)s, %(taglines_i18n)s, %(age_ratings)s, %(status)s,
    %(type)s, %(first_air_date)s, %(last_air_date)s, %(year)s, %(vote_average)s,
    %(vote_count)s, %(popularity)s, %(poster_path)s, %(backdrop_path)s, %(total_seasons)s,
    %(total_episodes)s, %(homepage)s, now()
)
ON CONFLICT (tmdb_id) DO UPDATE SET
    tvdb_id = coalesce(EXCLUDED.tvdb_id, series.tvdb_id),
    imdb_id = coalesce(EXCLUDED.imdb_id, series.imdb_id),
    title = EXCLUDED.title, original_title = EXCLUDED.original_title,
    title_norm = EXCLUDED.title_norm, original_title_norm = EXCLUDED.original_title_norm,
    original_language = EXCLUDED.original_language, tagline = EXCLUDED.tagline,
    overview = EXCLUDED.overview, titles_i18n = EXCLUDED.titles_i18n,
    overviews_i18n = EXCLUDED.overviews_i18n, taglines_i18n = EXCLUDED.taglines_i18n,
    age_ratings = EXCLUDED.age_ratings, status = EXCLUDED.status, type = EXCLUDED.type,
    first_air_date = EXCLUDED.first_air_date, last_air_date = EXCLUDED.last_air_date,
    year = EXCLUDED.year, vote_average = EXCLUDED.vote_average,
    vote_count = EXCLUDED.vote_count, popularity = EXCLUDED.popularity,
    poster_path = EXCLUDED.poster_path, backdrop_path = EXCLUDED.backdrop_path,
    total_seasons = EXCLUDED.total_seasons, total_episodes = EXCLUDED.total_episodes,
    homepage = EXCLUDED.homepage, metadata_updated_at = now(), deleted_at = NULL
RETURNING id, (xmax = 0) AS created
"""

_INSERT_NETWORK = """
INSERT INTO tvshow.networks (id, tmdb_id, name, logo_path, origin_country)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (tmdb_id) DO UPDATE SET
    name = EXCLUDED.name, logo_path = EXCLUDED.logo_path, origin_country = EXCLUDED.origin_country
RETURNING id
"""


async def upsert_series(
    conn: Conn, details: TvDetails, translations: Mapping[str, Translation]
) -> tuple[uuid.UUID, bool]:
    """Write a series with its genres, credits and networks (replacing the old ones) in the
    caller's transaction; keyed by ``tmdb_id``. Returns (series id, whether it was created)."""

    external = details.external_ids
    params = {
        "id": uuid.uuid4(),
        "tmdb_id": details.id,
        "tvdb_id": external.tvdb_id if external else None,
        "imdb_id": external.imdb_id if external else None,
        "title": details.name,
        "original_title": details.original_name,
        "title_norm": normalise_title(details.name),
        "original_title_norm": (
            normalise_title(details.original_name) if details.original_name else None
        ),
        "original_language": details.original_language,
        "tagline": details.tagline,
        "overview": details.overview,
        "titles_i18n": i18n_column(translations, "title"),
        "overviews_i18n": i18n_column(translations, "overview"),
        "taglines_i18n": i18n_column(translations, "tagline"),
        "age_ratings": Jsonb(details.content_ratings.ratings() if details.content_ratings else {}),
        "status": details.status,
        "type": details.type,
        "first_air_date": details.first_air_date,
        "last_air_date": details.last_air_date,
        "year": details.year,
        "vote_average": details.vote_average,
        "vote_count": details.vote_count,
        "popularity": details.popularity,
        "poster_path": details.poster_path,
        "backdrop_path": details.backdrop_path,
        "total_seasons": details.number_of_seasons,
        "total_episodes": details.number_of_episodes,
        "homepage": details.homepage,
    }
    row = await (await conn.execute(_UPSERT_SERIES, params)).fetchone()
    assert row is not None
    series_id: uuid.UUID = row[0]
    created = bool(row[1])
    for table in ("series_genres", "series_credits", "series_networks"):
        await conn.execute(
            f"DELETE FROM tvshow.{table} WHERE series_id = %s",
            (series_id,),
        )
    async with conn.cursor() as cursor:
        genres = [(series_id, genre_slug(g.name), g.name, g.id) for g in details.genres]
        if genres:
            await cursor.executemany(
                "INSERT INTO tvshow.series_genres (series_id, slug, name, tmdb_genre_id) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                genres,
            )
        credits = details.credits
        people = (
            [
                (series_id, c.id, c.name, c.profile_path, "cast", c.character or "", c.order, "")
                for c in credits.cast
            ]
            + [
                (series_id, c.id, c.name, c.profile_path, "crew", "", None, c.job or "")
                for c in credits.crew
            ]
            if credits
            else []
        )
        if people:
            await cursor.executemany(
                "INSERT INTO tvshow.series_credits (series_id, tmdb_person_id, name, "
                "profile_path, credit_type, character, cast_order, job) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                people,
            )
        for network in details.networks:
            await cursor.execute(
                _INSERT_NETWORK,
                (uuid.uuid4(), network.id, network.name, network.logo_path, network.origin_country),
            )
            found = await cursor.fetchone()
            assert found is not None
            await cursor.execute(
                "INSERT INTO tvshow.series_networks (series_id, network_id) VALUES (%s, %s) "
                "ON CONFLICT DO NOTHING",
                (series_id, found[0]),
            )
    return series_id, created


# ---------------------------------------------------------------------------------- seasons

_UPSERT_SEASON = """
INSERT INTO tvshow.seasons (
    id, series_id, tmdb_id, season_number, name, overview, poster_path, episode_count,
    air_date, vote_average, metadata_updated_at
) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())
ON CONFLICT (series_id, season_number) DO UPDATE SET
    tmdb_id = EXCLUDED.tmdb_id, name = EXCLUDED.name, overview = EXCLUDED.overview,
    poster_path = EXCLUDED.poster_path, episode_count = EXCLUDED.episode_count,
    air_date = EXCLUDED.air_date, vote_average = EXCLUDED.vote_average,
    metadata_updated_at = now()
RETURNING id
"""

_UPSERT_EPISODE = """
INSERT INTO tvshow.episodes (
    id, series_id, season_id, tmdb_id, season_number, episode_number, title, overview,
    air_date, runtime, vote_average, vote_count, still_path, metadata_updated_at
) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())
ON CONFLICT (series_id, season_number, episode_number) DO UPDATE SET
    season_id = EXCLUDED.season_id, tmdb_id = EXCLUDED.tmdb_id, title = EXCLUDED.title,
    overview = EXCLUDED.overview, air_date = EXCLUDED.air_date, runtime = EXCLUDED.runtime,
    vote_average = EXCLUDED.vote_average, vote_count = EXCLUDED.vote_count,
    still_path = EXCLUDED.still_path, metadata_updated_at = now()
"""


async def upsert_season(conn: Conn, series_id: uuid.UUID, season: SeasonDetails) -> uuid.UUID:
    """Write a season and every episode TMDb lists for it; return the season's id."""
    name = season.name or f"Season {season.season_number}"
    cursor = await conn.execute(
        _UPSERT_SEASON,
        (
            uuid.uuid4(),
            series_id,
            season.id,
            season.season_number,
            name,
            season.overview,
            season.poster_path,
            len(season.episodes),
            season.air_date,
            season.vote_average,
        ),
    )
    row = await cursor.fetchone()
    assert row is not None
    season_id: uuid.UUID = row[0]
    rows = [
        (
            uuid.uuid4(),
            series_id,
            season_id,
            ep.id,
            season.season_number,
            ep.episode_number,
            ep.name or f"Episode {ep.episode_number}",
            ep.overview,
            ep.air_date,
            ep.runtime,
            ep.vote_average,
            ep.vote_count,
            ep.still_path,
        )
        for ep in season.episodes
    ]
    if rows:
        async with conn.cursor() as cur:
            await cur.executemany(_UPSERT_EPISODE, rows)
    return season_id


# ---------------------------------------------------------------------------------- episodes

_BY_NUMBER = """
SELECT episode_number, id FROM tvshow.episodes
WHERE series_id = %s AND season_number = %s AND episode_number = ANY(%s)
"""

_BY_AIR_DATE = """
SELECT id FROM tvshow.episodes WHERE series_id = %s AND air_date = %s
ORDER BY season_number, episode_number
"""

# Anime's absolute numbers: the series' regular episodes (no specials) counted in order.
_BY_ABSOLUTE = """
SELECT n, id FROM (
    SELECT id, row_number() OVER (ORDER BY season_number, episode_number) AS n
    FROM tvshow.episodes WHERE series_id = %s AND season_number > 0
) numbered WHERE n = ANY(%s)
"""


async def episode_ids(
    conn: Conn,
    series_id: uuid.UUID,
    *,
    season: int | None,
    episodes: Sequence[int],
    air_date: date | None,
) -> list[uuid.UUID] | None:
    """The episodes a file holds, or None while any of them is not in the table."""
    if air_date is not None and not episodes:
        cursor = await conn.execute(_BY_AIR_DATE, (series_id, air_date))
        rows = await cursor.fetchall()
        return [rows[0][0]] if rows else None
    if season is None:
        cursor = await conn.execute(_BY_ABSOLUTE, (series_id, list(episodes)))
    else:
        cursor = await conn.execute(_BY_NUMBER, (series_id, season, list(episodes)))
    found = {row[0]: row[1] for row in await cursor.fetchall()}
    if any(number not in found for number in episodes):
        return None
    return [found[number] for number in episodes]


# ----------------------------------------------------------------- series managed by Sonarr
#
# Sonarr's sync merges with what the scan and the TMDb refresh already wrote: a series is found
# by its tvdb_id, then its tmdb_id, then its sonarr_id, and only created when none is known. A
# row this plugin refreshed from TMDb (metadata_updated_at set) keeps its TMDb values and Sonarr
# only fills what is missing; a row Sonarr created is Sonarr's to update. Seasons and episodes
# likewise; files by path (the scan's probe stays) or Sonarr file id. Only what differs is
# written, so syncing an unchanged library writes nothing.


@dataclass(frozen=True)
class SonarrSeries:
    """A series as Sonarr describes it, in this plugin's columns."""

    sonarr_id: int
    tvdb_id: int | None
    tmdb_id: int | None
    title: str
    imdb_id: str | None = None
    overview: str | None = None
    status: str | None = None
    type: str | None = None
    first_air_date: date | None = None
    last_air_date: date | None = None
    year: int | None = None
    vote_average: float | None = None
    vote_count: int | None = None
    poster_path: str | None = None
    backdrop_path: str | None = None
    total_seasons: int | None = None
    total_episodes: int | None = None


@dataclass(frozen=True)
class SonarrEpisode:
    """An episode as Sonarr describes it."""

    season_number: int
    episode_number: int
    title: str
    tvdb_id: int | None = None
    overview: str | None = None
    air_date: date | None = None
    runtime: int | None = None


SonarrFile = ServiceFile
"""A file as Sonarr describes it (``file_id`` is its sonarr_file_id)."""


_SERIES_FIELDS = (
    "imdb_id", "title", "overview", "status", "type", "first_air_date", "last_air_date", "year",
    "vote_average", "vote_count", "poster_path", "backdrop_path", "total_seasons",
    "total_episodes",
)  # fmt: skip
_EPISODE_FIELDS = ("tvdb_id", "title", "overview", "air_date", "runtime")

# The unique tvdb_id and tmdb_id, and index series_sonarr_id; in that order of trust.
_FIND_SONARR_SERIES = """
SELECT * FROM tvshow.series
WHERE tvdb_id = %(tvdb_id)s OR tmdb_id = %(tmdb_id)s OR sonarr_id = %(sonarr_id)s
ORDER BY (tvdb_id = %(tvdb_id)s) IS TRUE DESC, (tmdb_id = %(tmdb_id)s) IS TRUE DESC,
    deleted_at IS NULL DESC
LIMIT 1
"""

_FIND_SONARR_FILE = """
SELECT * FROM tvshow.episode_files
WHERE episode_id = %(episode_id)s AND (file_path = %(path)s OR sonarr_file_id = %(file_id)s)
ORDER BY (file_path = %(path)s) DESC LIMIT 1
"""


async def sync_sonarr_series(conn: Conn, series: SonarrSeries) -> tuple[uuid.UUID, Sync]:
    """Merge one Sonarr series into ``tvshow.series`` (see above); return its id and what
    changed."""
    params = {"tvdb_id": series.tvdb_id, "tmdb_id": series.tmdb_id, "sonarr_id": series.sonarr_id}
    row = await fetch_row(conn, _FIND_SONARR_SERIES, params)
    wanted = {field: getattr(series, field) for field in _SERIES_FIELDS}
    norm = {"title_norm": normalise_title(series.title)}
    if row is None:
        series_id = uuid.uuid4()
        values = {"id": series_id, **params, **norm, **wanted}
        await insert_row(conn, "tvshow", "series", values)
        return series_id, "added"
    series_id = row["id"]
    changes = merged(row, wanted, owned=row["metadata_updated_at"] is None)
    extra = {
        "tvdb_id": row["tvdb_id"] or series.tvdb_id,
        "tmdb_id": row["tmdb_id"] or series.tmdb_id,
        "sonarr_id": series.sonarr_id,
        "title_norm": normalise_title(str(changes.get("title", row["title"]))),
        "deleted_at": None,
    }
    changes.update({k: v for k, v in extra.items() if row[k] != v})
    if changes:
        await update_row(conn, "tvshow", "series", series_id, changes)
    # Another row still naming this Sonarr series lets go.
    cursor = await conn.execute(
        "UPDATE tvshow.series SET sonarr_id = NULL WHERE sonarr_id = %s AND id <> %s",
        (series.sonarr_id, series_id),
    )
    return series_id, "updated" if changes or cursor.rowcount else "unchanged"


async def sync_sonarr_season(
    conn: Conn, series_id: uuid.UUID, season_number: int, episode_count: int
) -> tuple[uuid.UUID, Sync]:
    """The season, created ("Season N", season 0 "Specials") when missing; a season TMDb
    wrote keeps its episode count."""
    params = {"series_id": series_id, "season_number": season_number}
    row = await fetch_row(
        conn,
        "SELECT * FROM tvshow.seasons "
        "WHERE series_id = %(series_id)s AND season_number = %(season_number)s",
        params,
    )
    if row is None:
        season_id = uuid.uuid4()
        name = "Specials" if season_number == 0 else f"Season {season_number}"
        values = {"id": season_id, **params, "name": name, "episode_count": episode_count}
        await insert_row(conn, "tvshow", "seasons", values)
        return season_id, "added"
    wanted = {"episode_count": episode_count}
    changes = merged(row, wanted, owned=row["metadata_updated_at"] is None)
    if changes:
        await update_row(conn, "tvshow", "seasons", row["id"], changes)
    return row["id"], "updated" if changes else "unchanged"


async def sync_sonarr_episode(
    conn: Conn, series_id: uuid.UUID, season_id: uuid.UUID, episode: SonarrEpisode
) -> tuple[uuid.UUID, Sync]:
    """Merge one Sonarr episode (by series, season and episode number)."""
    key = {
        "series_id": series_id,
        "season_number": episode.season_number,
        "episode_number": episode.episode_number,
    }
    row = await fetch_row(
        conn,
        "SELECT * FROM tvshow.episodes WHERE series_id = %(series_id)s "
        "AND season_number = %(season_number)s AND episode_number = %(episode_number)s",
        key,
    )
    wanted = {field: getattr(episode, field) for field in _EPISODE_FIELDS}
    if row is None:
        episode_id = uuid.uuid4()
        values = {"id": episode_id, "season_id": season_id, **key, **wanted}
        await insert_row(conn, "tvshow", "episodes", values)
        return episode_id, "added"
    changes = merged(row, wanted, owned=row["metadata_updated_at"] is None)
    if changes:
        await update_row(conn, "tvshow", "episodes", row["id"], changes)
    return row["id"], "updated" if changes else "unchanged"


async def sync_sonarr_file(
    conn: Conn, episode_id: uuid.UUID, file: SonarrFile
) -> tuple[uuid.UUID, Sync]:
    """Merge one Sonarr episode file for one of its episodes (by path, then Sonarr file id);
    return the row's id and what changed. A file the scan recorded keeps its probe."""
    params = {"episode_id": episode_id, "path": file.path, "file_id": file.file_id}
    row = await fetch_row(conn, _FIND_SONARR_FILE, params)
    return await merge_service_file(
        conn,
        "tvshow",
        "episode_files",
        row,
        file,
        service="sonarr",
        identity={},
        new={"episode_id": episode_id},
    )


async def sonarr_files_gone(conn: Conn, series_id: uuid.UUID, keep: Sequence[uuid.UUID]) -> int:
    """Mark the series' Sonarr file rows not in ``keep`` deleted; return how many."""
    cursor = await conn.execute(
        "UPDATE tvshow.episode_files f SET deleted_at = now() FROM tvshow.episodes e "
        "WHERE e.id = f.episode_id AND e.series_id = %s AND f.sonarr_file_id IS NOT NULL "
        "AND f.deleted_at IS NULL AND NOT (f.id = ANY(%s))",
        (series_id, list(keep)),
    )
    return cursor.rowcount


async def sonarr_series_ids(conn: Conn) -> set[int]:
    """The Sonarr ids of the series recorded here (not deleted)."""
    cursor = await conn.execute(
        "SELECT sonarr_id FROM tvshow.series WHERE sonarr_id IS NOT NULL AND deleted_at IS NULL"
    )
    return {row[0] for row in await cursor.fetchall()}


async def unlink_sonarr_series(conn: Conn, sonarr_id: int, *, files_deleted: bool) -> bool:
    """Sonarr deleted this series: forget its Sonarr id (the series stays, the scan may still
    find it) and, when Sonarr deleted the files too, mark its Sonarr files deleted. True if a
    series had that id."""
    cursor = await conn.execute(
        "UPDATE tvshow.series SET sonarr_id = NULL WHERE sonarr_id = %s RETURNING id",
        (sonarr_id,),
    )
    ids = [row[0] for row in await cursor.fetchall()]
    if ids and files_deleted:
        await conn.execute(
            "UPDATE tvshow.episode_files f SET deleted_at = coalesce(f.deleted_at, now()) "
            "FROM tvshow.episodes e WHERE e.id = f.episode_id AND e.series_id = ANY(%s) "
            "AND f.sonarr_file_id IS NOT NULL",
            (ids,),
        )
    return bool(ids)
