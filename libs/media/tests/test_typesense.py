"""TypesenseIndex (the official client) against the Typesense-shaped server on loopback."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from riverhost_media import TypesenseStatusError, TypesenseTransportError
from riverhost_media.settings import SearchSettings, typesense_index
from riverhost_media.testing import TYPESENSE_API_KEY, FakeTypesense
from riverhost_media.typesense import TypesenseIndex

FIELDS = [
    {"name": "title", "type": "string"},
    {"name": "year", "type": "int32", "optional": True},
]


@pytest.fixture
def ts(httpserver):
    return FakeTypesense(httpserver)


def _index(url, **options):
    options.setdefault("retry_interval", 0.01)
    return TypesenseIndex(
        url=url, api_key=TYPESENSE_API_KEY, collection="movies", fields=FIELDS, **options
    )


def test_upsert_search_delete_and_recreate(ts):
    async def go():
        async with _index(ts.url) as index:
            await index.upsert({"id": "1", "title": "The Matrix", "year": 1999})
            await index.upsert({"id": "1", "title": "The Matrix", "year": 1999})
            await index.import_documents([{"id": "2", "title": "Amélie"}])
            found = await index.search("matr", query_by=["title"])
            deleted = await index.delete("1"), await index.delete("1")
            await index.recreate()
            return found, deleted, await index.search("*", query_by=["title"])

    found, deleted, after = asyncio.run(go())

    assert [doc["title"] for doc, _ in found] == ["The Matrix"]
    assert deleted == (True, False)
    assert after == []
    assert ts.collections["movies"]["fields"] == FIELDS


def test_a_bad_document_names_the_request_and_status_and_is_not_retryable(ts):
    async def go():
        async with _index(ts.url) as index:
            await index.upsert({"id": "1", "year": 1999})

    with pytest.raises(TypesenseStatusError) as raised:
        asyncio.run(go())

    assert raised.value.status == 400
    assert not raised.value.retryable
    assert "POST /collections/movies/documents?action=upsert id=1" in str(raised.value)
    assert "Field `title` has been declared in the schema" in str(raised.value)


def test_a_503_is_retried_by_the_client_then_fails_retryable(ts):
    async def go(retries):
        async with _index(ts.url, num_retries=retries) as index:
            await index.upsert({"id": "1", "title": "The Matrix"})

    ts.fail(503, times=1)
    asyncio.run(go(1))
    assert ts.documents["movies"]["1"]["title"] == "The Matrix"

    ts.fail(503, times=3)
    with pytest.raises(TypesenseStatusError) as raised:
        asyncio.run(go(1))
    assert raised.value.status == 503
    assert raised.value.retryable


def test_a_server_that_is_down_is_a_retryable_transport_error():
    async def go():
        async with _index("http://127.0.0.1:9", num_retries=0, timeout=2) as index:
            await index.upsert({"id": "1", "title": "x"})

    with pytest.raises(TypesenseTransportError) as raised:
        asyncio.run(go())
    assert raised.value.retryable
    assert "GET /collections/movies" in str(raised.value)


def test_settings_require_url_and_api_key():
    with pytest.raises(ValidationError, match="needs a typesense section"):
        SearchSettings(backend="typesense")
    with pytest.raises(ValidationError, match="api_key"):
        SearchSettings.model_validate({"backend": "typesense", "typesense": {"url": "http://x"}})
    with pytest.raises(ValidationError, match="url"):
        SearchSettings.model_validate({"backend": "typesense", "typesense": {"api_key": "k"}})
    with pytest.raises(ValidationError, match="http"):
        SearchSettings.model_validate(
            {"backend": "typesense", "typesense": {"url": "localhost:8108", "api_key": "k"}}
        )

    search = SearchSettings.model_validate(
        {"backend": "typesense", "typesense": {"url": "http://ts:8108/", "api_key": "k"}}
    )
    index = typesense_index(search, collection="movies", fields=FIELDS)
    assert index is not None
    assert (index.url, index.collection) == ("http://ts:8108", "movies")
    asyncio.run(index.aclose())
    assert typesense_index(SearchSettings(), collection="movies", fields=FIELDS) is None
