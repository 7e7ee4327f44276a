"""Release names: guessit's parse made plain, samples flagged, titles compared."""

from __future__ import annotations

import pytest

from riverhost_media import match_score, normalise_title, parse_movie_path, title_similarity


def test_a_scene_release_name_is_parsed():
    parsed = parse_movie_path("/m/The.Matrix.1999.1080p.BluRay.x264-GROUP.mkv")

    assert parsed is not None
    assert (parsed.title, parsed.year, parsed.screen_size, parsed.source) == (
        "The Matrix",
        1999,
        "1080p",
        "Blu-ray",
    )
    assert parsed.release_group == "GROUP"
    assert not parsed.is_sample


def test_the_folder_fills_what_the_file_name_lacks():
    parsed = parse_movie_path("/m/Amélie (2001)/movie.mkv")

    assert parsed is not None
    assert (parsed.title, parsed.year) == ("movie", 2001)


@pytest.mark.parametrize(
    "path",
    [
        "/m/The.Matrix.1999.1080p.BluRay.x264-GROUP-sample.mkv",
        "/m/Inception (2010)/sample.mkv",
        "/m/Inception.2010.720p.Sample.mkv",
    ],
)
def test_samples_are_flagged(path):
    parsed = parse_movie_path(path)

    assert parsed is not None
    assert parsed.is_sample


def test_titles_are_normalised_before_comparing():
    assert normalise_title("The Matrix") == "matrix"
    assert normalise_title("Amélie") == "amelie"
    assert normalise_title("Fast & Furious") == "fast and furious"
    assert title_similarity("The Matrix", "Matrix") == 1.0
    assert title_similarity("Amelie", "Amélie") == 1.0
    assert title_similarity("The Matrix", "Inception") < 0.5


def test_the_score_weighs_the_year_when_both_are_known():
    assert match_score("The Matrix", 1999, ["The Matrix"], 1999) == 1.0
    assert match_score("The Matrix", 1999, ["The Matrix"], 2000) == pytest.approx(0.8)
    assert match_score("The Matrix", 1999, ["The Matrix"], 2003) == pytest.approx(0.6)
    assert match_score("The Matrix", None, ["Matrix", "x"], 2003) == 1.0
