"""tvshow_search_index with search.backend: typesense, end to end through the engine."""

from __future__ import annotations

import asyncio

import psycopg
from tvhelpers import build_library, rows, run, scan, settings

from riverhost_media.testing import TYPESENSE_API_KEY
from riverhost_media.typesense import TypesenseIndex
from riverhost_tvshow.jobs import SearchIndexArgs
from riverhost_tvshow.search import TYPESENSE_FIELDS, search_series_typesense


def _scanned(database_url, tmdb, typesense, tmp_path, **extra):
    config = settings(tmdb, build_library(tmp_path / "tv"), probe=False)
    section = {"url": typesense.url, "api_key": TYPESENSE_API_KEY, "retry_interval": "10ms"}
    config["tvshow"]["search"] = {"backend": "typesense", "typesense": {**section, **extra}}
    assert scan(database_url, config).state == "completed"
    with psycopg.connect(database_url) as conn:
        conn.execute("DELETE FROM river_job WHERE kind = 'tvshow_search_index'")
    typesense.collections.clear()
    typesense.documents.clear()
    ids = {r["title"]: r["id"] for r in rows(database_url, "SELECT id, title FROM tvshow.series")}
    return config, ids


def _search(typesense, query):
    async def go():
        async with TypesenseIndex(
            url=typesense.url,
            api_key=TYPESENSE_API_KEY,
            collection="tvshows",
            fields=TYPESENSE_FIELDS,
        ) as index:
            return await search_series_typesense(index, query)

    return [(hit.title, hit.has_file) for hit in asyncio.run(go())]


def test_index_and_reindex_series_in_typesense(database_url, tmdb, typesense, tmp_path):
    config, ids = _scanned(database_url, tmdb, typesense, tmp_path)

    one = run(database_url, config, SearchIndexArgs(series_id=ids["Breaking Bad"]))
    assert one.output == {"operation": "index", "indexed": 1, "backend": "typesense"}
    assert _search(typesense, "bryan cranston") == [("Breaking Bad", True)]

    full = run(database_url, config, SearchIndexArgs(full_reindex=True))
    assert full.output == {"operation": "reindex", "indexed": 3, "backend": "typesense"}
    assert _search(typesense, "Nippon") == [("Frieren", True)]
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM tvshow.search_documents").fetchone() == (0,)

    # A series deleted since leaves the index when it is indexed again.
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE tvshow.series SET deleted_at = now() WHERE title = 'Frieren'")
    gone = run(database_url, config, SearchIndexArgs(series_id=ids["Frieren"], batch_size=1))
    assert gone.output["indexed"] == 0
    assert _search(typesense, "Nippon") == []


def test_a_503_then_200_is_retried_and_down_fails_the_attempt(
    database_url, tmdb, typesense, tmp_path
):
    config, ids = _scanned(database_url, tmdb, typesense, tmp_path, num_retries=1)

    typesense.fail(503, times=1)
    retried = run(database_url, config, SearchIndexArgs(series_id=ids["Breaking Bad"]))
    assert retried.state == "completed"

    typesense.fail(503, times=2)
    failed = run(database_url, config, SearchIndexArgs(full_reindex=True))
    assert failed.event == "job_failed"
    assert "Typesense DELETE /collections/tvshows: answered HTTP 503" in failed.errors[0]
