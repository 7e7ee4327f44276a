"""radarr_sync against a Radarr on loopback and the real PostgreSQL with the movie tables."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import psycopg
from helpers import migrated, run

from riverhost_media import Credits, MovieDetails, ProbeResult
from riverhost_media.arrtesting import declared_kinds, forget_jobs, rows
from riverhost_movie import repository
from riverhost_radarr import plugin
from riverhost_radarr.jobs import RadarrSyncArgs

MOVIES = "SELECT title, tmdb_id, radarr_id, poster_path, xmin::text AS xmin FROM movie.movies"
FILES = (
    "SELECT f.file_path, f.radarr_file_id, f.resolution, f.audio_channels, f.duration_seconds,"
    " f.deleted_at IS NOT NULL AS deleted, m.tmdb_id, f.xmin::text AS xmin"
    " FROM movie.movie_files f JOIN movie.movies m ON m.id = f.movie_id"
)


def test_the_kinds_are_declared_as_the_issue_has_them(plugin_registry):
    registry = plugin_registry(("radarr", plugin), settings={"radarr": {"sync_interval": "6h"}})

    assert declared_kinds(registry) == {
        "radarr_sync": ("high", timedelta(minutes=10), 5, timedelta(minutes=5)),
        "radarr_webhook": ("high", timedelta(minutes=1), 5, None),
    }
    periodic = registry.periodic["radarr_sync:full"].spec
    assert (periodic.every, periodic.args.to_json()) == (
        timedelta(hours=6),
        {"operation": "full", "radarr_movie_id": 0},
    )


def test_a_full_sync_records_movies_with_files_and_a_second_changes_nothing(
    run_job, database_url, radarr
):
    first = run(run_job, radarr, RadarrSyncArgs(operation="full"))
    movies = rows(database_url, MOVIES + " ORDER BY radarr_id")
    files = rows(database_url, FILES + " ORDER BY f.radarr_file_id")
    forget_jobs(database_url)
    second = run(run_job, radarr, RadarrSyncArgs(operation="full"), requests_per_second=50)

    assert first.state == "completed", first.errors
    assert first.output == {
        "operation": "full",
        "added": 2,
        "updated": 0,
        "unchanged": 0,
        "files": {"added": 2, "updated": 0, "unchanged": 0, "removed": 0},
        "errors": [],
        "error_count": 0,
        "total": 3,
        "skipped": 1,
        "removed": 0,
        "removed_radarr_ids": [],
    }
    assert first.progress.current == first.progress.total == 2
    assert [(m["title"], m["tmdb_id"], m["radarr_id"]) for m in movies] == [
        ("The Matrix", 603, 1),
        ("Dune Part Two", 693134, 2),
    ]
    assert movies[0]["poster_path"] == "/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg"
    assert [(f["radarr_file_id"], f["tmdb_id"], f["resolution"]) for f in files] == [
        (7, 603, "1080p"),
        (9, 693134, "1080p"),
    ]
    assert (files[0]["audio_channels"], files[0]["duration_seconds"]) == (6, 8178.0)
    assert second.state == "completed"
    assert (second.output["added"], second.output["updated"], second.output["unchanged"]) == (
        0,
        0,
        2,
    )
    assert second.output["files"] == {"added": 0, "updated": 0, "unchanged": 2, "removed": 0}
    assert rows(database_url, MOVIES + " ORDER BY radarr_id") == movies  # not even rewritten
    assert rows(database_url, FILES + " ORDER BY f.radarr_file_id") == files


def test_a_sync_merges_with_a_movie_the_scan_created_instead_of_duplicating_it(
    run_job, database_url, radarr
):
    migrated(database_url, radarr)
    path = "/movies/The Matrix (1999)/The Matrix (1999) Bluray-1080p.mkv"

    async def scanned() -> None:
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            details = MovieDetails(id=603, title="Matrix", original_language="en")
            movie_id, _ = await repository.upsert_movie(
                conn, details, credits=Credits(), age_ratings={}, translations={}
            )
            probe = ProbeResult(width=1920, height=800, resolution="1080p", audio_channels=8)
            record = repository.FileRecord(
                path, 123, 456, movie_id, "films", "parsed", 0.9, probe=probe
            )
            await repository.upsert_file(conn, record)

    asyncio.run(scanned())
    synced = run(run_job, radarr, RadarrSyncArgs(operation="full"))
    movies = rows(database_url, "SELECT * FROM movie.movies ORDER BY tmdb_id")
    files = rows(database_url, "SELECT * FROM movie.movie_files ORDER BY file_path")

    assert synced.state == "completed", synced.errors
    assert (synced.output["added"], synced.output["updated"], synced.output["errors"]) == (1, 1, [])
    assert [(m["tmdb_id"], m["radarr_id"]) for m in movies] == [(603, 1), (693134, 2)]
    matrix = movies[0]
    # TMDb's values stay (the scan refreshed it), Radarr fills what was missing.
    assert (matrix["title"], matrix["original_language"], matrix["year"]) == ("Matrix", "en", 1999)
    assert len(files) == 2
    scanned_file = next(f for f in files if f["file_path"] == path)
    assert (scanned_file["radarr_file_id"], scanned_file["match_type"]) == (7, "parsed")
    assert (scanned_file["audio_channels"], scanned_file["library_id"]) == (8, "films")


def test_a_radarr_answering_500_then_200_is_retried(run_job, database_url, radarr):
    radarr.fail_next = 1

    synced = run(run_job, radarr, RadarrSyncArgs(operation="full"))

    assert synced.state == "completed", synced.errors
    assert synced.output["added"] == 2
    assert radarr.requests[:2] == ["GET /api/v3/movie", "GET /api/v3/movie"]


def test_a_radarr_failing_every_try_fails_the_attempt_naming_request_and_status(
    run_job, database_url, radarr
):
    radarr.fail_next = 100

    synced = run(run_job, radarr, RadarrSyncArgs(operation="full"), max_attempts=2)

    assert synced.state in ("retryable", "available")  # available: due within 5 s
    assert synced.errors == [
        "ArrStatusError: Radarr GET /api/v3/movie: answered HTTP 500 (database is locked) "
        "after 2 attempts"
    ]


def test_a_wrong_api_key_is_named(run_job, database_url, radarr):
    synced = run(run_job, radarr, RadarrSyncArgs(operation="full"), api_key="nope")

    assert synced.state in ("retryable", "available")  # available: due within 5 s
    assert "HTTP 401" in synced.errors[0]
    assert "plugins.radarr.api_key" in synced.errors[0]


def test_a_single_sync_and_removed_movies_and_files(run_job, database_url, radarr):
    assert run(run_job, radarr, RadarrSyncArgs(operation="full")).state == "completed"
    del radarr.movies[2]  # Dune removed from Radarr
    matrix = radarr.movies[1]
    del matrix["movieFile"]  # the Matrix lost its file
    matrix.update(hasFile=False, movieFileId=0, title="The Matrix Reloaded?")

    forget_jobs(database_url)
    full = run(run_job, radarr, RadarrSyncArgs(operation="full"))
    radarr.movies[3]["hasFile"] = False
    single = run(run_job, radarr, RadarrSyncArgs(operation="single", radarr_movie_id=3))
    gone = run(run_job, radarr, RadarrSyncArgs(operation="single", radarr_movie_id=2))

    assert full.state == "completed"
    assert (full.output["removed"], full.output["removed_radarr_ids"]) == (1, [2])
    assert full.output["files"]["removed"] == 1
    assert full.output["updated"] == 1
    assert rows(database_url, "SELECT title FROM movie.movies WHERE radarr_id = 1") == [
        {"title": "The Matrix Reloaded?"}
    ]
    assert single.state == "completed"
    assert (single.output["movie"], single.output["title"]) == ("added", "Alien")
    assert gone.state == "cancelled"
    assert gone.errors == ["Radarr has no movie 2: Radarr GET /api/v3/movie/2: answered HTTP 404"]


def test_without_an_api_key_a_sync_is_cancelled_saying_what_to_set(run_job, radarr):
    synced = asyncio.run(
        run_job(
            [("movie", __import__("riverhost_movie.plugin").plugin), ("radarr", plugin)],
            RadarrSyncArgs(operation="full"),
        )
    )

    assert synced.state == "cancelled"
    assert "plugins.radarr.api_key" in synced.errors[0]
