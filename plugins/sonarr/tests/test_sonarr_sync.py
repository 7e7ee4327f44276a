"""sonarr_sync against a Sonarr on loopback and the real PostgreSQL with the tvshow tables."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import psycopg
from sonarr_helpers import PLUGINS, migrated, run

from riverhost_media.arrtesting import declared_kinds, forget_jobs, rows
from riverhost_sonarr import plugin
from riverhost_sonarr.jobs import SonarrSyncArgs
from riverhost_tvshow import repository

SERIES = "SELECT title, tvdb_id, tmdb_id, sonarr_id, xmin::text AS xmin FROM tvshow.series"
SEASONS = (
    "SELECT s.season_number, s.name, s.episode_count, s.xmin::text AS xmin"
    " FROM tvshow.seasons s JOIN tvshow.series t ON t.id = s.series_id"
)
EPISODES = (
    "SELECT season_number, episode_number, title, tvdb_id, xmin::text AS xmin FROM tvshow.episodes"
)
FILES = (
    "SELECT f.file_path, f.sonarr_file_id, f.resolution, f.audio_channels, f.duration_seconds,"
    " f.deleted_at IS NOT NULL AS deleted, e.episode_number, f.xmin::text AS xmin"
    " FROM tvshow.episode_files f JOIN tvshow.episodes e ON e.id = f.episode_id"
)


def snapshot(url: str) -> list[list[dict[str, object]]]:
    return [
        rows(url, SERIES + " ORDER BY sonarr_id"),
        rows(url, SEASONS + " ORDER BY t.sonarr_id, s.season_number"),
        rows(url, EPISODES + " ORDER BY tvdb_id"),
        rows(url, FILES + " ORDER BY f.sonarr_file_id"),
    ]


def test_the_kinds_are_declared_as_the_issue_has_them(plugin_registry):
    registry = plugin_registry(("sonarr", plugin), settings={"sonarr": {"sync_interval": "6h"}})

    assert declared_kinds(registry) == {
        "sonarr_sync": ("high", timedelta(minutes=10), 5, timedelta(minutes=5)),
        "sonarr_webhook": ("high", timedelta(minutes=1), 5, None),
    }
    periodic = registry.periodic["sonarr_sync:full"].spec
    assert (periodic.every, periodic.args.to_json()) == (
        timedelta(hours=6),
        {"operation": "full", "sonarr_series_id": 0},
    )


def test_a_full_sync_records_series_episodes_and_files_and_a_second_changes_nothing(
    run_job, database_url, sonarr
):
    first = run(run_job, sonarr, SonarrSyncArgs(operation="full"))
    before = snapshot(database_url)
    forget_jobs(database_url)
    second = run(run_job, sonarr, SonarrSyncArgs(operation="full"))

    assert first.state == "completed", first.errors
    assert first.output == {
        "operation": "full",
        "added": 2,
        "updated": 0,
        "unchanged": 0,
        "seasons": {"added": 3, "updated": 0, "unchanged": 0, "removed": 0},
        "episodes": {"added": 5, "updated": 0, "unchanged": 0, "removed": 0},
        "files": {"added": 3, "updated": 0, "unchanged": 0, "removed": 0},
        "errors": [],
        "error_count": 0,
        "total": 3,
        "skipped": 1,
        "removed": 0,
        "removed_sonarr_ids": [],
    }
    assert first.progress.current == first.progress.total == 2
    series, seasons, episodes, files = before
    assert [(s["title"], s["tvdb_id"], s["tmdb_id"], s["sonarr_id"]) for s in series] == [
        ("Breaking Bad", 81189, 1396, 3),
        ("Severance", 371980, 95396, 4),
    ]
    assert [(s["season_number"], s["name"], s["episode_count"]) for s in seasons] == [
        (0, "Specials", 1),
        (5, "Season 5", 2),
        (2, "Season 2", 2),
    ]
    assert len(episodes) == 5
    assert [(f["sonarr_file_id"], f["episode_number"], f["resolution"]) for f in files] == [
        (101, 14, "720p"),
        (102, 15, "720p"),
        (301, 1, "720p"),
    ]
    assert (files[0]["audio_channels"], files[0]["duration_seconds"]) == (6, 2852.0)
    assert second.state == "completed", second.errors
    out = second.output
    assert (out["added"], out["updated"], out["unchanged"]) == (0, 0, 2)
    for group, unchanged in (("seasons", 3), ("episodes", 5), ("files", 3)):
        assert out[group] == {"added": 0, "updated": 0, "unchanged": unchanged, "removed": 0}
    assert snapshot(database_url) == before  # not even rewritten
    assert sonarr.requests.count("GET /api/v3/episodefile?seriesId=3") == 2


def test_a_sync_merges_with_a_series_the_scan_created_instead_of_duplicating_it(
    run_job, database_url, sonarr
):
    migrated(database_url, sonarr)
    path = "/tv/Breaking Bad/Season 05/Breaking Bad - S05E14.mkv"

    async def scanned() -> None:
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            series_id, season_id, episode_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            await conn.execute(
                "INSERT INTO tvshow.series (id, tmdb_id, title, title_norm, original_language,"
                " metadata_updated_at) VALUES (%s, 1396, 'Breaking Bad (TMDb)', 'breaking bad',"
                " 'en', now())",
                (series_id,),
            )
            await conn.execute(
                "INSERT INTO tvshow.seasons (id, series_id, season_number, name, episode_count,"
                " metadata_updated_at) VALUES (%s, %s, 5, 'Season 5 (TMDb)', 16, now())",
                (season_id, series_id),
            )
            await conn.execute(
                "INSERT INTO tvshow.episodes (id, series_id, season_id, season_number,"
                " episode_number, title, metadata_updated_at)"
                " VALUES (%s, %s, %s, 5, 14, 'Ozymandias', now())",
                (episode_id, series_id, season_id),
            )
            record = repository.FileRecord(path, 123, 456, episode_id, "tv", "parsed")
            await repository.upsert_file(conn, record)

    asyncio.run(scanned())
    synced = run(run_job, sonarr, SonarrSyncArgs(operation="full"))
    series = rows(database_url, "SELECT * FROM tvshow.series ORDER BY tmdb_id")
    files = rows(database_url, "SELECT * FROM tvshow.episode_files ORDER BY sonarr_file_id")
    ozymandias = rows(
        database_url,
        "SELECT title FROM tvshow.episodes WHERE season_number = 5 AND episode_number = 14",
    )

    assert synced.state == "completed", synced.errors
    assert (synced.output["added"], synced.output["updated"], synced.output["errors"]) == (1, 1, [])
    assert [(s["tmdb_id"], s["tvdb_id"], s["sonarr_id"]) for s in series] == [
        (1396, 81189, 3),
        (95396, 371980, 4),
    ]
    # TMDb's values stay (the plugin refreshed it), Sonarr fills what was missing.
    bad = series[0]
    assert (bad["title"], bad["original_language"], bad["year"]) == (
        "Breaking Bad (TMDb)",
        "en",
        2008,
    )
    assert ozymandias == [{"title": "Ozymandias"}]
    assert rows(
        database_url,
        "SELECT name, episode_count FROM tvshow.seasons WHERE season_number = 5",
    ) == [{"name": "Season 5 (TMDb)", "episode_count": 16}]
    assert len(files) == 3  # the scanned file is Sonarr's 101: linked, not duplicated
    scanned_file = next(f for f in files if f["file_path"] == path)
    assert (scanned_file["sonarr_file_id"], scanned_file["match_type"]) == (101, "parsed")
    assert (scanned_file["library_id"], scanned_file["file_size"]) == ("tv", 1610612736)


def test_a_sonarr_answering_500_then_200_is_retried(run_job, database_url, sonarr):
    sonarr.fail_next = 1

    synced = run(run_job, sonarr, SonarrSyncArgs(operation="full"))

    assert synced.state == "completed", synced.errors
    assert synced.output["added"] == 2
    assert sonarr.requests[:2] == ["GET /api/v3/series", "GET /api/v3/series"]


def test_a_sonarr_that_is_down_fails_the_attempt_naming_the_request(run_job, database_url, sonarr):
    synced = run(
        run_job,
        sonarr,
        SonarrSyncArgs(operation="full"),
        base_url="http://127.0.0.1:9",
        max_attempts=2,
    )

    assert synced.state in ("retryable", "available")
    assert synced.errors[0].startswith(
        "ArrTransportError: Sonarr GET /api/v3/series: no answer after 2 attempts: ConnectError"
    )


def test_a_single_sync_and_removed_series_and_files(run_job, database_url, sonarr):
    assert run(run_job, sonarr, SonarrSyncArgs(operation="full")).state == "completed"
    del sonarr.shows[4]  # Severance removed from Sonarr
    show = sonarr.shows[3]
    show.files.pop()  # Breaking Bad lost S05E15's file
    show.episodes[1].update(episodeFileId=0, hasFile=False)
    show.series["title"] = "Breaking Bad!"

    forget_jobs(database_url)
    full = run(run_job, sonarr, SonarrSyncArgs(operation="full"))
    single = run(run_job, sonarr, SonarrSyncArgs(operation="single", sonarr_series_id=5))
    gone = run(run_job, sonarr, SonarrSyncArgs(operation="single", sonarr_series_id=4))

    assert full.state == "completed", full.errors
    assert (full.output["removed"], full.output["removed_sonarr_ids"]) == (1, [4])
    assert full.output["files"]["removed"] == 1
    assert full.output["updated"] == 1
    assert rows(database_url, "SELECT title FROM tvshow.series WHERE sonarr_id = 3") == [
        {"title": "Breaking Bad!"}
    ]
    assert single.state == "completed", single.errors
    assert (single.output["series"], single.output["title"]) == ("added", "The Bear")
    assert single.output["episodes"]["added"] == 1
    assert gone.state == "cancelled"
    assert gone.errors == ["Sonarr has no series 4: Sonarr GET /api/v3/series/4: answered HTTP 404"]


def test_without_an_api_key_a_sync_is_cancelled_saying_what_to_set(run_job):
    synced = asyncio.run(run_job(PLUGINS, SonarrSyncArgs(operation="full")))

    assert synced.state == "cancelled"
    assert "plugins.sonarr.api_key" in synced.errors[0]
