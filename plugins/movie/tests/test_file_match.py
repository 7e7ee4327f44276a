"""movie_file_match end to end: one file matched, recorded, or the job cancelled with why."""

from __future__ import annotations

from helpers import AMELIE, MATRIX, rows, run, settings

from riverhost_media.testing import make_video, movie_body
from riverhost_movie.jobs import FileMatchArgs


def test_a_new_file_creates_its_movie_and_an_index_job(database_url, tmdb, tmp_path):
    path = make_video(tmp_path / "movies" / AMELIE)

    result = run(database_url, settings(tmdb, tmp_path / "movies"), FileMatchArgs(file_path=path))

    assert result.state == "completed", result.errors
    assert result.output["match_type"] == "tmdb"
    assert result.output["created_new_movie"] is True
    [file] = rows(
        database_url,
        "SELECT f.library_id, f.container, m.title FROM movie.movie_files f "
        "JOIN movie.movies m ON m.id = f.movie_id",
    )
    assert file == {"library_id": "films", "container": "mkv", "title": "Amélie"}
    assert [job.args["operation"] for job in result.followups] == ["index"]


def test_a_known_file_is_an_exact_match_unless_forced(database_url, tmdb, tmp_path):
    path = make_video(tmp_path / "movies" / MATRIX)
    config = settings(tmdb, tmp_path / "movies")
    first = run(database_url, config, FileMatchArgs(file_path=path))

    again = run(database_url, config, FileMatchArgs(file_path=path))
    forced = run(database_url, config, FileMatchArgs(file_path=path, force_rematch=True))

    assert again.output == {
        "match_type": "exact",
        "movie_id": first.output["movie_id"],
        "confidence": 1.0,
    }
    assert forced.output["match_type"] == "title"  # found in the table this time
    assert forced.output["movie_id"] == first.output["movie_id"]
    assert forced.followups == []


def test_a_nonexistent_file_cancels_the_job(database_url, tmdb, tmp_path):
    path = str(tmp_path / "movies" / MATRIX)

    result = run(database_url, settings(tmdb, tmp_path), FileMatchArgs(file_path=path))

    assert result.state == "cancelled"
    assert result.errors == [f"{path} does not exist"]


def test_a_file_that_is_not_a_video_cancels_the_job(database_url, tmdb, tmp_path):
    path = tmp_path / "The.Matrix.1999.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:02,000\nHello\n")

    result = run(database_url, settings(tmdb, tmp_path), FileMatchArgs(file_path=str(path)))

    assert result.state == "cancelled"
    assert result.errors == [f"{path} is not a video file (extension '.srt')"]


def test_a_name_no_movie_fits_completes_as_unmatched(database_url, tmdb, tmp_path):
    path = make_video(tmp_path / "Home.Video.Birthday.2015.mkv")

    result = run(database_url, settings(tmdb, tmp_path), FileMatchArgs(file_path=path))

    assert result.state == "completed"
    assert result.output["match_type"] == "unmatched"
    assert "Home Video Birthday" in result.output["reason"]


def test_a_different_title_of_the_same_year_is_not_taken_for_a_known_movie(
    database_url, tmdb, tmp_path
):
    # Titles 0.73 alike and one year: the seed's score (0.6 x 0.73 + 0.4) passed 0.8.
    tmdb.movies[1] = movie_body(1, "Silent River of Dreams", "1980-06-01")
    tmdb.movies[2] = movie_body(2, "Silent River of Echoes", "1980-06-01")
    tmdb.reindex()
    config = settings(tmdb, tmp_path)
    dreams = make_video(tmp_path / "Silent.River.of.Dreams.1980.mkv")
    echoes = make_video(tmp_path / "Silent.River.of.Echoes.1980.mkv")
    first = run(database_url, config, FileMatchArgs(file_path=dreams))

    second = run(database_url, config, FileMatchArgs(file_path=echoes))

    assert (second.output["match_type"], second.output["created_new_movie"]) == ("tmdb", True)
    assert second.output["movie_id"] != first.output["movie_id"]
