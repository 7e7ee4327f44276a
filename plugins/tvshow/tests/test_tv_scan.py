"""tvshow_library_scan end to end: real videos, the real engine and PostgreSQL, TMDb on
loopback."""

from __future__ import annotations

import os

import pytest
from tvhelpers import ALL, ANIME, CROSSED, DAILY, DOUBLE, PILOT, SPECIAL, build_library, rows, scan
from tvhelpers import settings as tv_settings

EPISODES = """
SELECT f.file_path, s.tmdb_id, e.season_number, e.episode_number, e.title, f.container,
       f.video_codec, f.quality_profile
FROM tvshow.episode_files f JOIN tvshow.episodes e ON e.id = f.episode_id
JOIN tvshow.series s ON s.id = e.series_id WHERE f.deleted_at IS NULL
ORDER BY s.tmdb_id, e.season_number, e.episode_number
"""


@pytest.fixture
def library(tmp_path):
    return build_library(tmp_path / "tv")


def test_a_first_scan_creates_series_seasons_episodes_and_files(database_url, tmdb, library):
    result = scan(database_url, tv_settings(tmdb, library))

    assert result.state == "completed", result.errors
    out = result.output
    assert out["errors"] == []
    assert (out["total_files"], out["added"], out["new_series"]) == (6, 6, 3)
    files = rows(database_url, EPISODES)
    got = [
        (
            os.path.relpath(f["file_path"], library),
            f["tmdb_id"],
            f["season_number"],
            f["episode_number"],
        )
        for f in files
    ]
    assert got == [
        (SPECIAL, 1396, 0, 1),
        (PILOT, 1396, 1, 1),
        (DOUBLE, 1396, 1, 2),
        (DOUBLE, 1396, 1, 3),
        (CROSSED, 1396, 2, 1),
        (DAILY, 2224, 29, 71),
        (ANIME, 209867, 2, 2),  # absolute 12 = season 1's 10 episodes, then S02E02
    ]
    assert {(f["container"], f["video_codec"]) for f in files} == {("mkv", "h264")}
    assert files[1]["quality_profile"] == "WEBDL-SD"
    series = rows(
        database_url,
        "SELECT tmdb_id, title, titles_i18n, age_ratings, tvdb_id FROM tvshow.series "
        "ORDER BY tmdb_id",
    )
    assert [s["title"] for s in series] == ["Breaking Bad", "The Daily Show", "Frieren"]
    assert series[0]["titles_i18n"] == {"en-US": "Breaking Bad", "de-DE": "Breaking Bad (DE)"}
    assert (series[0]["age_ratings"], series[0]["tvdb_id"]) == ({"US": "TV-MA"}, 81189)
    credits = rows(database_url, "SELECT count(*) AS n FROM tvshow.series_credits")
    assert credits[0]["n"] == 2
    networks = rows(database_url, "SELECT name FROM tvshow.networks ORDER BY name")
    assert [n["name"] for n in networks] == ["AMC", "Comedy Central", "Nippon TV"]
    assert sorted(job.kind for job in result.followups) == ["tvshow_search_index"] * 3
    scans = rows(database_url, "SELECT status, items_added FROM tvshow.library_scans")
    assert scans == [{"status": "completed", "items_added": 6}]
    assert result.progress is not None
    assert result.progress.phase == "completed"
    # Breaking Bad's TMDb: one search, the series in 2 languages, seasons 0, 1 and 2.
    assert tmdb.count("/3/tv/1396/season/") == 3
    assert tmdb.count("/3/search/tv") == 3


def test_a_rescan_skips_unchanged_files_and_marks_changed_and_missing_ones(
    database_url, tmdb, library
):
    config = tv_settings(tmdb, library)
    scan(database_url, config)
    asked = tmdb.count()

    unchanged = scan(database_url, config)

    assert unchanged.output["unchanged"] == len(ALL)
    assert (unchanged.output["added"], unchanged.output["updated"]) == (0, 0)
    assert tmdb.count() == asked
    assert unchanged.followups == []

    (library / PILOT).write_bytes((library / PILOT).read_bytes() + b"\0")
    (library / DAILY).unlink()
    changed = scan(database_url, config)

    assert (changed.output["updated"], changed.output["removed"]) == (1, 1)
    assert tmdb.count() == asked  # the series and its season are in the table
    # No new index job: the first scan's one for this series is unique for 5 minutes.
    assert changed.followups == []
    deleted = rows(
        database_url, "SELECT file_path FROM tvshow.episode_files WHERE deleted_at IS NOT NULL"
    )
    assert [os.path.relpath(r["file_path"], library) for r in deleted] == [DAILY]


def test_without_auto_create_only_known_series_match(database_url, tmdb, library):
    result = scan(database_url, tv_settings(tmdb, library), auto_create=False)

    assert result.state == "completed"
    assert (result.output["added"], result.output["unmatched"]) == (0, 6)
    assert "auto_create is off" in result.output["errors"][0]["error"]
    assert tmdb.count() == 0


def test_an_unknown_episode_and_an_unknown_series_are_unmatched_and_remembered(
    database_url, tmdb, library
):
    from riverhost_media.testing import make_video

    make_video(library / "Breaking Bad" / "Season 01" / "Breaking.Bad.S01E09.mkv")
    make_video(library / "Home Movies Of Mine" / "Home.Movies.Of.Mine.S01E01.mkv")
    config = tv_settings(tmdb, library, probe=False)

    first = scan(database_url, config)
    asked = tmdb.count()
    again = scan(database_url, config)

    errors = {os.path.basename(e["path"]): e["error"] for e in first.output["errors"]}
    assert errors == {
        "Breaking.Bad.S01E09.mkv": "'Breaking Bad' has no S01E09",
        "Home.Movies.Of.Mine.S01E01.mkv": "TMDb knows no series called 'Home Movies Of Mine'",
    }
    assert (again.output["unchanged"], again.output["errors_count"]) == (8, 0)
    assert tmdb.count() == asked


def test_an_unknown_library_cancels_the_job_with_the_reason(database_url, tmdb, library):
    result = scan(database_url, tv_settings(tmdb, library), library_id="nope")

    assert result.state == "cancelled"
    assert result.errors == [
        "unknown library_id 'nope': the configured libraries (plugins.tvshow.libraries) are 'tv'"
    ]


def test_tmdb_429_and_500_are_retried_within_the_scan(database_url, tmdb, library):
    tmdb.server.expect_oneshot_request("/3/search/tv").respond_with_json(
        {"success": False, "status_code": 25, "status_message": "over the limit"},
        status=429,
        headers={"Retry-After": "0"},
    )
    tmdb.server.expect_oneshot_request("/3/search/tv").respond_with_json(
        {"success": False, "status_code": 11, "status_message": "Internal error"}, status=500
    )

    result = scan(database_url, tv_settings(tmdb, library, probe=False))

    assert result.state == "completed"
    assert (result.output["new_series"], result.output["errors_count"]) == (3, 0)


def test_a_tmdb_answer_missing_fields_is_an_error_naming_them(database_url, tmdb, library):
    tmdb.omit[2224] = ["name"]

    result = scan(database_url, tv_settings(tmdb, library, probe=False))

    assert result.state == "completed"
    assert result.output["new_series"] == 2
    [error] = result.output["errors"]
    assert error["path"].endswith(DAILY)
    assert "the answer does not fit TvDetails: name: Field required" in error["error"]


def test_a_failing_scan_ends_its_record_failed(database_url, tmdb, library, monkeypatch):
    import riverhost_tvshow.scan

    def broken(*args, **kwargs):
        raise OSError("disk on fire")

    monkeypatch.setattr(riverhost_tvshow.repository, "mark_missing_files", broken)

    result = scan(database_url, tv_settings(tmdb, library, probe=False))

    assert result.state in ("retryable", "available")
    assert riverhost_tvshow.scan is not None
    scans = rows(database_url, "SELECT status, error_message FROM tvshow.library_scans")
    assert scans == [{"status": "failed", "error_message": "OSError: disk on fire"}]
