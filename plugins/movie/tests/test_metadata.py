"""metadata_refresh_movie end to end: translations, ratings, genres, credits replaced whole."""

from __future__ import annotations

import uuid

from helpers import MATRIX, rows, run, settings

from riverhost_media.testing import make_video
from riverhost_movie.jobs import FileMatchArgs, MetadataRefreshArgs


def _matrix(database_url, tmdb, tmp_path):
    path = make_video(tmp_path / "movies" / MATRIX)
    config = settings(tmdb, tmp_path / "movies")
    created = run(database_url, config, FileMatchArgs(file_path=path))
    assert created.state == "completed", created.errors
    return config, uuid.UUID(created.output["movie_id"])


def test_a_refresh_twice_keeps_every_credit(database_url, tmdb, tmp_path):
    config, movie_id = _matrix(database_url, tmdb, tmp_path)
    tmdb.movies[603]["title"] = "The Matrix (Remastered)"
    tmdb.movies[603]["genres"].append({"id": 53, "name": "Thriller"})

    first = run(database_url, config, MetadataRefreshArgs(movie_id=movie_id, force=True))
    second = run(database_url, config, MetadataRefreshArgs(movie_id=movie_id, languages=["de"]))

    assert first.state == second.state == "completed"
    assert first.output["credits"] == second.output["credits"] == 4
    [movie] = rows(
        database_url,
        "SELECT title, titles_i18n, overviews_i18n, age_ratings FROM movie.movies WHERE id = %s",
        movie_id,
    )
    assert movie["title"] == "Matrix"  # the second refresh asked for German only
    assert movie["titles_i18n"] == {"de-DE": "Matrix"}
    credits = rows(
        database_url,
        "SELECT name, credit_type FROM movie.movie_credits WHERE movie_id = %s ORDER BY name",
        movie_id,
    )
    assert [c["name"] for c in credits] == [
        "Keanu Reeves",
        "Lana Wachowski",
        "Laurence Fishburne",
        "Lilly Wachowski",
    ]
    genres = rows(database_url, "SELECT slug FROM movie.movie_genres WHERE movie_id = %s", movie_id)
    assert sorted(g["slug"] for g in genres) == ["action", "science-fiction", "thriller"]
    assert first.progress is not None
    assert (first.progress.phase, first.progress.current, first.progress.total) == (
        "completed",
        3,
        3,
    )
    # Each refresh asks for the movie's index job; unique by args, the file match's stands.
    index_jobs = rows(
        database_url,
        "SELECT count(*) AS n FROM river_job WHERE kind = 'movie_search_index' "
        "AND args ->> 'movie_id' = %s",
        str(movie_id),
    )
    assert index_jobs == [{"n": 1}]


def test_an_unknown_movie_cancels_the_refresh(database_url, tmdb, tmp_path):
    config = settings(tmdb, tmp_path)
    movie_id = uuid.uuid4()

    result = run(database_url, config, MetadataRefreshArgs(movie_id=movie_id))

    assert result.state == "cancelled"
    assert result.errors == [f"movie {movie_id} does not exist (or was deleted)"]


def test_a_tmdb_failure_fails_the_attempt_for_a_retry(database_url, tmdb, tmp_path):
    config, movie_id = _matrix(database_url, tmdb, tmp_path)
    tmdb.omit[603] = ["title"]

    result = run(database_url, config, MetadataRefreshArgs(movie_id=movie_id))

    assert result.event == "job_failed"
    assert result.state in ("retryable", "available")
    [error] = result.errors
    assert "TmdbResponseError" in error
    assert "title: Field required" in error
