"""movie_search_index with search.backend: typesense, end to end through the engine."""

from __future__ import annotations

import asyncio
import uuid

import psycopg
from helpers import build_library, run, scan, settings

from riverhost_media.testing import TYPESENSE_API_KEY
from riverhost_media.typesense import TypesenseIndex
from riverhost_movie.jobs import SearchIndexArgs
from riverhost_movie.search import TYPESENSE_FIELDS, search_movies_typesense


def _typesense_settings(config, typesense, **extra):
    section = {"url": typesense.url, "api_key": TYPESENSE_API_KEY, "retry_interval": "10ms"}
    config["movie"]["search"] = {"backend": "typesense", "typesense": {**section, **extra}}
    return config


def _library(database_url, tmdb, typesense, tmp_path, **extra):
    config = _typesense_settings(
        settings(tmdb, build_library(tmp_path / "movies")), typesense, **extra
    )
    scanned = scan(database_url, config)
    ids = {job.args["movie_id"] for job in scanned.followups}
    with psycopg.connect(database_url) as conn:
        conn.execute("DELETE FROM river_job WHERE kind = 'movie_search_index'")
    # The scan's own index jobs may have run on the same host: start from an empty Typesense.
    typesense.collections.clear()
    typesense.documents.clear()
    typesense.requests.clear()
    return config, sorted(uuid.UUID(each) for each in ids)


def _search(typesense, query):
    async def go():
        async with TypesenseIndex(
            url=typesense.url,
            api_key=TYPESENSE_API_KEY,
            collection="movies",
            fields=TYPESENSE_FIELDS,
        ) as index:
            return await search_movies_typesense(index, query)

    return [hit.title for hit in asyncio.run(go())]


def test_index_remove_and_reindex_in_typesense(database_url, tmdb, typesense, tmp_path):
    config, movie_ids = _library(database_url, tmdb, typesense, tmp_path)

    indexed = [
        run(database_url, config, SearchIndexArgs(operation="index", movie_id=movie_id))
        for movie_id in movie_ids
    ]

    assert [each.output for each in indexed] == [
        {"operation": "index", "indexed": 1, "backend": "typesense"}
    ] * 2
    assert _search(typesense, "matrix") == ["The Matrix"]
    assert _search(typesense, "keanu reeves") == ["The Matrix"]
    assert _search(typesense, "amelie") == ["Amélie"]
    assert _search(typesense, "Fabelhafte Welt") == ["Amélie"]
    matrix = next(d for d in typesense.documents["movies"].values() if d["title"] == "The Matrix")
    assert matrix["year"] == 1999
    assert "Keanu Reeves" in matrix["people"]
    # Nothing was written to the PostgreSQL index.
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM movie.search_documents").fetchone() == (0,)

    removed = run(database_url, config, SearchIndexArgs(operation="remove", movie_id=movie_ids[0]))
    assert removed.output == {"operation": "remove", "removed": 1, "backend": "typesense"}
    assert len(typesense.documents["movies"]) == 1

    reindexed = run(database_url, config, SearchIndexArgs(operation="reindex"))
    assert reindexed.output == {"operation": "reindex", "indexed": 2, "backend": "typesense"}
    assert len(typesense.documents["movies"]) == 2
    assert ("DELETE", "/collections/movies") in typesense.requests


def test_a_named_collection_is_used(database_url, tmdb, typesense, tmp_path):
    config, movie_ids = _library(database_url, tmdb, typesense, tmp_path, collection="films_v2")

    result = run(database_url, config, SearchIndexArgs(operation="index", movie_id=movie_ids[0]))

    assert result.state == "completed"
    assert list(typesense.documents) == ["films_v2"]


def test_a_503_then_200_is_retried(database_url, tmdb, typesense, tmp_path):
    config, movie_ids = _library(database_url, tmdb, typesense, tmp_path)
    typesense.fail(503, times=1)

    result = run(database_url, config, SearchIndexArgs(operation="index", movie_id=movie_ids[0]))

    assert result.state == "completed"
    assert len(typesense.documents["movies"]) == 1


def test_typesense_down_fails_the_attempt_and_names_the_request(
    database_url, tmdb, typesense, tmp_path
):
    config, movie_ids = _library(database_url, tmdb, typesense, tmp_path, num_retries=0)
    typesense.fail(503, times=1)

    result = run(database_url, config, SearchIndexArgs(operation="index", movie_id=movie_ids[0]))

    assert result.event == "job_failed"  # retried: another attempt follows
    assert "Typesense GET /collections/movies: answered HTTP 503" in result.errors[0]


def test_a_document_typesense_refuses_cancels(database_url, tmdb, typesense, tmp_path):
    config, movie_ids = _library(database_url, tmdb, typesense, tmp_path)
    # A collection made elsewhere with a field the plugin's documents do not have.
    typesense.collections["movies"] = {
        "name": "movies",
        "fields": [{"name": "rating", "type": "float"}],
    }
    typesense.documents["movies"] = {}

    result = run(database_url, config, SearchIndexArgs(operation="index", movie_id=movie_ids[0]))

    assert result.state == "cancelled"
    assert "answered HTTP 400" in result.errors[0]
    assert "Field `rating` has been declared in the schema" in result.errors[0]
