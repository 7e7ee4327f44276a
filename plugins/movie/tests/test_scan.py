"""movie_library_scan end to end: real videos, the real engine and PostgreSQL, TMDb on loopback."""

from __future__ import annotations

import os

import pytest
from helpers import AMELIE, MATRIX, build_library, rows, scan, settings

import riverhost_movie.scan
from riverhost_media.names import parse_movie_path


@pytest.fixture
def library(tmp_path):
    return build_library(tmp_path / "movies")


def test_a_first_scan_creates_movies_files_and_index_jobs(database_url, tmdb, library):
    result = scan(database_url, settings(tmdb, library))

    assert result.state == "completed", result.errors
    out = result.output
    assert (out["total_files"], out["added"], out["new_movies"], out["samples_skipped"]) == (
        3,
        2,
        2,
        1,
    )
    assert out["errors_count"] == 0, out["errors"]
    movies = rows(
        database_url,
        "SELECT tmdb_id, title, year, titles_i18n, age_ratings FROM movie.movies ORDER BY tmdb_id",
    )
    assert [(m["tmdb_id"], m["title"], m["year"]) for m in movies] == [
        (194, "Amélie", 2001),
        (603, "The Matrix", 1999),
    ]
    assert movies[1]["titles_i18n"] == {"en-US": "The Matrix", "de-DE": "Matrix"}
    assert movies[1]["age_ratings"] == {"US": "R"}
    files = rows(
        database_url,
        "SELECT f.file_path, m.tmdb_id, f.container, f.resolution, f.video_codec, "
        "f.duration_seconds, f.quality_profile FROM movie.movie_files f "
        "JOIN movie.movies m ON m.id = f.movie_id ORDER BY m.tmdb_id",
    )
    assert [(os.path.relpath(f["file_path"], library), f["tmdb_id"]) for f in files] == [
        (AMELIE, 194),
        (MATRIX, 603),
    ]
    assert {(f["container"], f["resolution"], f["video_codec"]) for f in files} == {
        ("mkv", "SD", "h264")
    }
    assert files[1]["duration_seconds"] == pytest.approx(1.0, abs=0.1)
    assert files[1]["quality_profile"] == "Bluray-SD"
    credits = rows(database_url, "SELECT count(*) AS n FROM movie.movie_credits")
    assert credits[0]["n"] == 6  # Matrix: 2 cast, 2 directors; Amélie: 1 and 1
    assert sorted((job.kind, job.args["operation"]) for job in result.followups) == [
        ("movie_search_index", "index"),
        ("movie_search_index", "index"),
    ]
    scans = rows(database_url, "SELECT status, items_added, errors_count FROM movie.library_scans")
    assert scans == [{"status": "completed", "items_added": 2, "errors_count": 0}]
    assert result.progress is not None
    assert result.progress.phase == "completed"


def test_a_rescan_skips_unchanged_files_and_marks_changed_and_missing_ones(
    database_url, tmdb, library
):
    config = settings(tmdb, library)
    scan(database_url, config)
    asked = tmdb.count()

    unchanged = scan(database_url, config)

    assert unchanged.output["unchanged"] == 3  # the sample is remembered as skipped
    assert (unchanged.output["added"], unchanged.output["updated"]) == (0, 0)
    assert tmdb.count() == asked
    assert unchanged.followups == []

    (library / MATRIX).write_bytes((library / MATRIX).read_bytes() + b"\0")
    (library / AMELIE).unlink()
    changed = scan(database_url, config)

    assert (changed.output["updated"], changed.output["removed"]) == (1, 1)
    assert tmdb.count() == asked  # the changed file's movie is found in the table
    deleted = rows(
        database_url,
        "SELECT file_path FROM movie.movie_files WHERE deleted_at IS NOT NULL",
    )
    assert [os.path.relpath(r["file_path"], library) for r in deleted] == [AMELIE]


def test_force_examines_unchanged_files_again(database_url, tmdb, library):
    config = settings(tmdb, library)
    scan(database_url, config)

    forced = scan(database_url, config, force=True)

    assert (forced.output["unchanged"], forced.output["updated"]) == (0, 2)


def test_a_missing_library_path_is_an_error_of_that_path_only(database_url, tmdb, library):
    missing = library.parent / "unmounted"

    result = scan(database_url, settings(tmdb, missing, library))

    assert result.state == "completed"
    assert result.output["added"] == 2
    assert result.output["errors"] == [
        {"path": str(missing), "error": "library path does not exist"}
    ]


def test_an_unknown_library_cancels_the_job_with_the_reason(database_url, tmdb, library):
    result = scan(database_url, settings(tmdb, library), library_id="nope")

    assert result.state == "cancelled"
    assert result.errors == [
        "unknown library_id 'nope': the configured libraries (plugins.movie.libraries) are 'films'"
    ]


def test_tmdb_429_and_500_are_retried_within_the_scan(database_url, tmdb, library):
    tmdb.server.expect_oneshot_request("/3/search/movie").respond_with_json(
        {"success": False, "status_code": 25, "status_message": "over the limit"},
        status=429,
        headers={"Retry-After": "0"},
    )
    tmdb.server.expect_oneshot_request("/3/search/movie").respond_with_json(
        {"success": False, "status_code": 11, "status_message": "Internal error"}, status=500
    )

    result = scan(database_url, settings(tmdb, library))

    assert result.state == "completed"
    assert result.output["new_movies"] == 2
    assert result.output["errors_count"] == 0


def test_a_tmdb_answer_missing_fields_is_an_error_naming_them(database_url, tmdb, library):
    tmdb.omit[603] = ["title"]

    result = scan(database_url, settings(tmdb, library))

    assert result.state == "completed"
    assert result.output["new_movies"] == 1
    [error] = result.output["errors"]
    assert error["path"].endswith(MATRIX)
    assert (
        "GET /movie/603?language=en-US&append_to_response=credits%2Crelease_dates"
        in (error["error"])
    )
    assert "the answer does not fit MovieDetails: title: Field required" in error["error"]


def test_a_file_deleted_between_the_walk_and_the_probe_is_an_error(
    database_url, tmdb, library, monkeypatch
):
    def parse_then_delete(path):
        if path.endswith(MATRIX):
            os.unlink(path)
        return parse_movie_path(path)

    monkeypatch.setattr(riverhost_movie.scan, "parse_movie_path", parse_then_delete)

    result = scan(database_url, settings(tmdb, library))

    assert result.state == "completed"
    assert result.output["added"] == 1
    assert result.output["errors"] == [
        {
            "path": str(library / MATRIX),
            "error": "the file disappeared between the walk and the probe",
        }
    ]


def test_an_unmatched_file_is_remembered_and_not_asked_about_again(database_url, tmdb, library):
    (library / "Home.Video.Birthday.2015.mkv").write_bytes(b"")
    config = settings(tmdb, library, probe=False)
    first = scan(database_url, config)
    asked = tmdb.count()

    again = scan(database_url, config)

    assert first.output["unmatched"] == 1
    assert "Home Video Birthday" in first.output["errors"][0]["error"]
    assert (again.output["unmatched"], again.output["errors_count"]) == (0, 0)
    assert again.output["unchanged"] == 4
    assert tmdb.count() == asked
