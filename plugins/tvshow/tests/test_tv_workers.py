"""Metadata refresh, series refresh, file match and search index end to end."""

from __future__ import annotations

import asyncio
import uuid

import psycopg
import pytest
from tvhelpers import DOUBLE, build_library, rows, run, scan, settings

from riverhost_media.testing import make_video
from riverhost_tvshow.jobs import (
    FileMatchArgs,
    MetadataRefreshArgs,
    SearchIndexArgs,
    SeriesRefreshArgs,
)
from riverhost_tvshow.search import search_series


@pytest.fixture
def scanned(database_url, tmdb, tmp_path):
    library = build_library(tmp_path / "tv")
    config = settings(tmdb, library, probe=False)
    assert scan(database_url, config).state == "completed"
    ids = {r["title"]: r["id"] for r in rows(database_url, "SELECT id, title FROM tvshow.series")}
    return library, config, ids


def test_series_refresh_cascades_with_progress_per_season(database_url, tmdb, scanned):
    _, config, ids = scanned
    tmdb.series[1396]["_seasons"][1][0] = (1, "Pilot (Renamed)", "2008-01-20")

    result = run(
        database_url,
        config,
        SeriesRefreshArgs(series_id=ids["Breaking Bad"], refresh_seasons=True),
    )

    assert result.state == "completed", result.errors
    assert (result.output["seasons"], result.output["episodes"]) == (3, 5)
    titles = rows(
        database_url,
        "SELECT title FROM tvshow.episodes WHERE season_number = 1 AND episode_number = 1 "
        "AND series_id = %s",
        ids["Breaking Bad"],
    )
    assert titles == [{"title": "Pilot (Renamed)"}]
    assert result.progress.phase == "completed"


def test_series_refresh_of_an_unknown_series_is_cancelled(database_url, tmdb, scanned):
    _, config, _ = scanned
    missing = uuid.uuid4()

    result = run(database_url, config, SeriesRefreshArgs(series_id=missing))

    assert result.state == "cancelled"
    assert result.errors == [f"series {missing} does not exist (or was deleted)"]


def test_metadata_refresh_of_every_series_lists_what_failed(database_url, tmdb, scanned):
    _, config, _ = scanned
    del tmdb.series[2224]

    result = run(database_url, config, MetadataRefreshArgs(batch_size=2))

    assert result.state == "completed", result.errors
    assert result.output["refreshed"] == 2
    [failed] = result.output["failed"]
    assert failed["title"] == "The Daily Show"
    assert "HTTP 404" in failed["error"]


def test_metadata_refresh_of_one_episode_refreshes_its_season(database_url, tmdb, scanned):
    _, config, _ = scanned
    [episode] = rows(
        database_url,
        "SELECT id FROM tvshow.episodes WHERE season_number = 2 AND episode_number = 1 "
        "AND series_id = (SELECT id FROM tvshow.series WHERE tmdb_id = 1396)",
    )

    result = run(database_url, config, MetadataRefreshArgs(episode_id=episode["id"]))

    assert result.state == "completed", result.errors
    assert result.output["season_number"] == 2


def test_file_match_records_a_new_file_and_cancels_unmatchable_ones(database_url, tmdb, scanned):
    library, config, ids = scanned
    new = library / "Breaking Bad" / "Season 01" / "Breaking.Bad.1x03.mkv"
    make_video(new)

    matched = run(database_url, config, FileMatchArgs(file_path=str(new)))
    again = run(database_url, config, FileMatchArgs(file_path=str(library / DOUBLE)))
    missing = run(database_url, config, FileMatchArgs(file_path=str(library / "nope.mkv")))
    unknown_episode = library / "Breaking Bad" / "Season 01" / "Breaking.Bad.S01E99.mkv"
    make_video(unknown_episode)
    unmatched = run(database_url, config, FileMatchArgs(file_path=str(unknown_episode)))

    assert matched.state == "completed", matched.errors
    assert matched.output["series_id"] == str(ids["Breaking Bad"])
    assert len(matched.output["episode_ids"]) == 1
    assert again.output["match_type"] == "exact"
    assert len(again.output["episode_ids"]) == 2
    assert missing.state == "cancelled"
    assert missing.errors == [f"{library / 'nope.mkv'} does not exist"]
    assert unmatched.state == "cancelled"
    assert unmatched.errors == [f"{unknown_episode}: 'Breaking Bad' has no S01E99"]
    files = rows(
        database_url,
        "SELECT container FROM tvshow.episode_files WHERE file_path = %s",
        str(new),
    )
    assert files == [{"container": None}]  # the library says probe: false


def test_search_index_makes_series_findable(database_url, tmdb, scanned):
    _, config, ids = scanned

    # batch_size=1: not the scan's own job for Frieren (unique by args for 5 minutes).
    one = run(database_url, config, SearchIndexArgs(series_id=ids["Frieren"], batch_size=1))
    full = run(database_url, config, SearchIndexArgs(full_reindex=True))
    nothing = run(database_url, config, SearchIndexArgs())

    assert one.output == {"operation": "index", "indexed": 1}
    assert full.output == {"operation": "reindex", "indexed": 3}
    assert nothing.output["operation"] == "none"

    async def find(query):
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            return await search_series(conn, query)

    [hit] = asyncio.run(find("bryan cranston"))
    assert (hit.title, hit.has_file) == ("Breaking Bad", True)
    assert [h.title for h in asyncio.run(find("Nippon"))] == ["Frieren"]
    assert [h.title for h in asyncio.run(find("pilot"))] == ["Breaking Bad"]
