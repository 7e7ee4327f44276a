"""The TMDb client against a TMDb-shaped loopback server: auth, retries, errors, languages."""

from __future__ import annotations

import asyncio
import time

import pytest

from riverhost_media import (
    TmdbClient,
    TmdbNotConfiguredError,
    TmdbResponseError,
    TmdbStatusError,
    TmdbTransportError,
    normalise_language,
)
from riverhost_media.testing import API_KEY, BEARER, FakeTmdb

RATE_LIMITED = {
    "success": False,
    "status_code": 25,
    "status_message": "Your request count (#) is over the allowed limit of (40).",
}


@pytest.fixture
def tmdb(httpserver):
    return FakeTmdb(httpserver)


def _client(tmdb, **options):
    options.setdefault("api_key", API_KEY)
    options.setdefault("retry_wait_max", 0.05)
    return TmdbClient(base_url=tmdb.base_url, **options)


def _run(tmdb, call, **options):
    async def go():
        async with _client(tmdb, **options) as client:
            return await call(client)

    return asyncio.run(go())


@pytest.mark.parametrize(
    "credentials", [{"api_key": API_KEY}, {"api_key": None, "read_access_token": BEARER}]
)
def test_search_works_with_an_api_key_or_a_bearer_token(tmdb, credentials):
    found = _run(tmdb, lambda c: c.search_movie("The Matrix", year=1999), **credentials)

    assert [(hit.id, hit.title, hit.year) for hit in found.results] == [(603, "The Matrix", 1999)]


def test_details_come_in_the_language_asked_with_appended_parts(tmdb):
    movie = _run(tmdb, lambda c: c.movie(603, language="de", append=["credits", "release_dates"]))

    assert movie.title == "Matrix"
    assert movie.credits is not None
    assert [member.name for member in movie.credits.cast][:1] == ["Keanu Reeves"]
    assert movie.release_dates is not None
    assert movie.release_dates.certifications() == {"US": "R"}
    assert tmdb.server.log[-1][0].args["language"] == "de-DE"


def test_a_wrong_key_names_the_request_and_status_without_the_key(tmdb):
    with pytest.raises(TmdbStatusError) as caught:
        _run(tmdb, lambda c: c.movie(603), api_key="wrong")

    message = str(caught.value)
    assert caught.value.status == 401
    assert "GET /movie/603" in message
    assert "HTTP 401 (status_code 7: Invalid API key" in message
    assert "wrong" not in message
    assert tmdb.count() == 1  # a 401 is not retried


def test_a_429_with_retry_after_and_a_500_are_retried(tmdb):
    tmdb.server.expect_oneshot_request("/3/movie/603").respond_with_json(
        RATE_LIMITED, status=429, headers={"Retry-After": "0"}
    )
    tmdb.server.expect_oneshot_request("/3/movie/603").respond_with_json(
        {"status_code": 11, "status_message": "Internal error"}, status=500
    )

    movie = _run(tmdb, lambda c: c.movie(603))

    assert movie.title == "The Matrix"
    assert len(tmdb.server.log) == 3


def test_retries_end_with_an_error_naming_status_and_attempts(tmdb):
    for _ in range(3):
        tmdb.server.expect_oneshot_request("/3/movie/603").respond_with_json(
            {"status_code": 24, "status_message": "timed out"}, status=504
        )

    with pytest.raises(TmdbStatusError, match=r"GET /movie/603: answered HTTP 504 .* after 3"):
        _run(tmdb, lambda c: c.movie(603), max_attempts=3)


def test_a_transport_error_is_retried_then_named(tmdb):
    client_options = {"base_url": "http://127.0.0.1:9/3", "max_attempts": 2}

    async def go():
        async with TmdbClient(api_key=API_KEY, retry_wait_max=0.01, **client_options) as client:
            await client.search_movie("x")

    with pytest.raises(TmdbTransportError, match=r"GET /search/movie\?query=x.*no answer"):
        asyncio.run(go())


def test_an_answer_missing_fields_names_them(tmdb):
    tmdb.omit[603] = ["title", "id"]

    with pytest.raises(TmdbResponseError) as caught:
        _run(tmdb, lambda c: c.movie(603))

    assert "GET /movie/603" in str(caught.value)
    assert caught.value.problems == ["id: Field required", "title: Field required"]


def test_no_credentials_is_a_clear_error_before_any_request(tmdb):
    with pytest.raises(TmdbNotConfiguredError, match=r"tmdb\.api_key"):
        _run(tmdb, lambda c: c.movie(603), api_key=None)
    assert tmdb.count() == 0


def test_the_rate_limit_spaces_requests(tmdb):
    async def burst(client):
        start = time.perf_counter()
        await asyncio.gather(*(client.movie(603) for _ in range(6)))
        return time.perf_counter() - start

    elapsed = _run(tmdb, burst, requests_per_window=3, window_seconds=0.3)

    assert elapsed >= 0.25


@pytest.mark.parametrize(
    ("given", "expected"),
    [("en", "en-US"), ("de", "de-DE"), ("ja", "ja-JP"), ("pt_br", "pt-BR"), ("EN-gb", "en-GB")],
)
def test_language_codes_are_normalised(given, expected):
    assert normalise_language(given) == expected


def test_a_bad_language_code_is_refused():
    with pytest.raises(ValueError, match="'english' is not a language code"):
        normalise_language("english")
