"""movie_search_index end to end and the full-text query the plugin offers."""

from __future__ import annotations

import asyncio
import uuid

import psycopg
from helpers import build_library, run, scan, settings

from riverhost_movie.jobs import SearchIndexArgs
from riverhost_movie.search import search_movies


def _search(url, query):
    async def go():
        async with await psycopg.AsyncConnection.connect(url) as conn:
            return await search_movies(conn, query)

    return [hit.title for hit in asyncio.run(go())]


def _library(database_url, tmdb, tmp_path):
    config = settings(tmdb, build_library(tmp_path / "movies"))
    scanned = scan(database_url, config)
    ids = {job.args["movie_id"] for job in scanned.followups}
    with psycopg.connect(database_url) as conn:
        # Unique by args for 5 minutes: the scan's own index jobs would make ours duplicates.
        conn.execute("DELETE FROM river_job WHERE kind = 'movie_search_index'")
        conn.execute("DELETE FROM movie.search_documents")
    return config, sorted(uuid.UUID(each) for each in ids)


def test_indexed_movies_are_found_by_title_translation_person_and_accentless(
    database_url, tmdb, tmp_path
):
    config, movie_ids = _library(database_url, tmdb, tmp_path)

    for movie_id in movie_ids:
        result = run(database_url, config, SearchIndexArgs(operation="index", movie_id=movie_id))
        assert result.output == {"operation": "index", "indexed": 1}

    assert _search(database_url, "matrix") == ["The Matrix"]
    assert _search(database_url, "keanu reeves") == ["The Matrix"]
    assert _search(database_url, "amelie") == ["Amélie"]
    assert _search(database_url, "Fabelhafte Welt") == ["Amélie"]
    assert _search(database_url, "comedy") == ["Amélie"]
    assert _search(database_url, "inception") == []


def test_reindex_rebuilds_and_remove_drops(database_url, tmdb, tmp_path):
    config, movie_ids = _library(database_url, tmdb, tmp_path)

    reindexed = run(database_url, config, SearchIndexArgs(operation="reindex"))
    removed = run(database_url, config, SearchIndexArgs(operation="remove", movie_id=movie_ids[0]))

    assert reindexed.output == {"operation": "reindex", "indexed": 2}
    assert removed.output == {"operation": "remove", "removed": 1}
    assert len(_search(database_url, "matrix or amelie")) == 1


def test_index_without_a_movie_id_cancels(database_url, tmdb, tmp_path):
    result = run(database_url, settings(tmdb, tmp_path), SearchIndexArgs(operation="index"))

    assert result.state == "cancelled"
    assert result.errors == ["operation 'index' needs a movie_id"]
