"""The async TMDb v3 client: auth, rate limit, retries, language codes, response models.

:class:`TmdbClient` wraps one ``httpx.AsyncClient`` (open it with ``async with``). It signs
requests with a v4 read access token (``Authorization: Bearer``) or a v3 ``api_key`` query
parameter, spends an ``aiolimiter`` budget (TMDb's historical 40 requests per 10 seconds by
default) and retries 429, 5xx and transport errors with ``stamina``: exponential backoff with
jitter, or the ``Retry-After`` the answer carries. Every failure is a
:class:`~riverhost_media.errors.TmdbError` naming the request (the api key never shown) and
the status; an answer that does not fit its pydantic model names each bad field. Models ignore
fields they do not know (TMDb adds fields). Caching is the caller's business.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from types import TracebackType
from typing import Self, TypeVar

import httpx
import stamina
from aiolimiter import AsyncLimiter
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from riverhost_media.errors import (
    TmdbNotConfiguredError,
    TmdbResponseError,
    TmdbStatusError,
    TmdbTransportError,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "CastMember",
    "ContentRatings",
    "Credits",
    "CrewMember",
    "EpisodeDetails",
    "ExternalIds",
    "Genre",
    "MovieDetails",
    "Network",
    "ReleaseDates",
    "SearchMovieResult",
    "SearchMovies",
    "SearchTv",
    "SearchTvResult",
    "SeasonDetails",
    "SeasonSummary",
    "TmdbClient",
    "TvDetails",
    "normalise_language",
]

DEFAULT_BASE_URL = "https://api.themoviedb.org/3"

#: Region TMDb expects for a bare language code (``en`` -> ``en-US``); others get ``xx-XX``.
_REGIONS = {
    "en": "US",
    "ja": "JP",
    "ko": "KR",
    "zh": "CN",
    "pt": "BR",
    "sv": "SE",
    "da": "DK",
    "cs": "CZ",
    "el": "GR",
    "he": "IL",
    "hi": "IN",
    "uk": "UA",
    "vi": "VN",
    "fa": "IR",
    "ar": "SA",
    "nb": "NO",
    "sl": "SI",
    "et": "EE",
    "ca": "ES",
}
_LANGUAGE = re.compile(r"^([A-Za-z]{2})(?:[-_]([A-Za-z]{2}))?$")


def normalise_language(code: str) -> str:
    """``en`` -> ``en-US``, ``de`` -> ``de-DE``, ``pt_br`` -> ``pt-BR``; raises ValueError on
    anything that is not a two-letter language with an optional two-letter region."""
    match = _LANGUAGE.fullmatch(code.strip())
    if match is None:
        raise ValueError(f"{code!r} is not a language code like 'en' or 'en-US'")
    language = match.group(1).lower()
    region = match.group(2) or _REGIONS.get(language, language)
    return f"{language}-{region.upper()}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


def _empty_to_none(value: object) -> object:
    return None if value == "" else value


class Genre(_Model):
    """A genre: ``{id, name}``."""

    id: int
    name: str


class SearchMovieResult(_Model):
    """One hit of ``GET /search/movie``."""

    id: int
    title: str
    original_title: str | None = None
    original_language: str | None = None
    overview: str | None = None
    release_date: date | None = None
    genre_ids: list[int] = []
    poster_path: str | None = None
    backdrop_path: str | None = None
    popularity: float = 0.0
    vote_average: float = 0.0
    vote_count: int = 0

    _blank_date = field_validator("release_date", mode="before")(_empty_to_none)

    @property
    def year(self) -> int | None:
        return self.release_date.year if self.release_date else None


class SearchMovies(_Model):
    """A page of ``GET /search/movie``."""

    page: int
    results: list[SearchMovieResult]
    total_pages: int = 0
    total_results: int = 0


class CastMember(_Model):
    """``credits.cast[]``."""

    id: int
    name: str
    character: str | None = None
    order: int | None = None
    profile_path: str | None = None


class CrewMember(_Model):
    """``credits.crew[]``."""

    id: int
    name: str
    department: str | None = None
    job: str | None = None
    profile_path: str | None = None


class Credits(_Model):
    """``GET /movie/{id}/credits`` or the appended ``credits``."""

    cast: list[CastMember] = []
    crew: list[CrewMember] = []


class ReleaseDate(_Model):
    """One release of a country."""

    certification: str = ""
    release_date: str | None = None
    type: int | None = None
    note: str = ""


class CountryReleases(_Model):
    """``release_dates.results[]``."""

    iso_3166_1: str
    release_dates: list[ReleaseDate] = []


class ReleaseDates(_Model):
    """``GET /movie/{id}/release_dates`` or the appended ``release_dates``."""

    results: list[CountryReleases] = []

    def certifications(self) -> dict[str, str]:
        """Country -> certification (theatrical first, then any non-empty one)."""
        ratings: dict[str, str] = {}
        for country in self.results:
            ordered = sorted(country.release_dates, key=lambda r: (r.type != 3, r.type or 9))
            for release in ordered:
                if release.certification.strip():
                    ratings[country.iso_3166_1] = release.certification.strip()
                    break
        return ratings


class MovieDetails(_Model):
    """``GET /movie/{id}``, with ``credits`` and ``release_dates`` when appended."""

    id: int
    title: str
    original_title: str | None = None
    original_language: str | None = None
    overview: str | None = None
    tagline: str | None = None
    status: str | None = None
    release_date: date | None = None
    runtime: int | None = None
    imdb_id: str | None = None
    genres: list[Genre] = []
    poster_path: str | None = None
    backdrop_path: str | None = None
    popularity: float = 0.0
    vote_average: float = 0.0
    vote_count: int = 0
    budget: int = 0
    revenue: int = 0
    homepage: str | None = None
    credits: Credits | None = None
    release_dates: ReleaseDates | None = None

    _blank = field_validator("release_date", "imdb_id", "tagline", mode="before")(_empty_to_none)

    @property
    def year(self) -> int | None:
        return self.release_date.year if self.release_date else None


class Network(_Model):
    """``networks[]`` of ``GET /tv/{id}``."""

    id: int
    name: str
    logo_path: str | None = None
    origin_country: str | None = None


class SearchTvResult(_Model):
    """One hit of ``GET /search/tv``."""

    id: int
    name: str
    original_name: str | None = None
    original_language: str | None = None
    overview: str | None = None
    first_air_date: date | None = None
    poster_path: str | None = None
    popularity: float = 0.0

    _blank_date = field_validator("first_air_date", mode="before")(_empty_to_none)

    @property
    def year(self) -> int | None:
        return self.first_air_date.year if self.first_air_date else None


class SearchTv(_Model):
    """A page of ``GET /search/tv``."""

    page: int
    results: list[SearchTvResult]
    total_pages: int = 0
    total_results: int = 0


class SeasonSummary(_Model):
    """``seasons[]`` of ``GET /tv/{id}`` (season 0 holds the specials)."""

    id: int
    season_number: int
    name: str | None = None
    overview: str | None = None
    air_date: date | None = None
    episode_count: int = 0
    poster_path: str | None = None
    vote_average: float = 0.0

    _blank_date = field_validator("air_date", mode="before")(_empty_to_none)


class ContentRating(_Model):
    """``content_ratings.results[]``."""

    iso_3166_1: str
    rating: str = ""


class ContentRatings(_Model):
    """``GET /tv/{id}/content_ratings`` or the appended ``content_ratings``."""

    results: list[ContentRating] = []

    def ratings(self) -> dict[str, str]:
        """Country -> rating (empty ones left out)."""
        return {each.iso_3166_1: each.rating for each in self.results if each.rating.strip()}


class ExternalIds(_Model):
    """``external_ids`` of a series (TMDb adds ``tvdb_id`` for TV)."""

    imdb_id: str | None = None
    tvdb_id: int | None = None

    _blank = field_validator("imdb_id", mode="before")(_empty_to_none)


class TvDetails(_Model):
    """``GET /tv/{id}``, with ``credits``, ``content_ratings``, ``external_ids`` when appended."""

    id: int
    name: str
    original_name: str | None = None
    original_language: str | None = None
    overview: str | None = None
    tagline: str | None = None
    status: str | None = None
    type: str | None = None
    first_air_date: date | None = None
    last_air_date: date | None = None
    number_of_seasons: int | None = None
    number_of_episodes: int | None = None
    genres: list[Genre] = []
    networks: list[Network] = []
    seasons: list[SeasonSummary] = []
    poster_path: str | None = None
    backdrop_path: str | None = None
    homepage: str | None = None
    popularity: float = 0.0
    vote_average: float = 0.0
    vote_count: int = 0
    credits: Credits | None = None
    content_ratings: ContentRatings | None = None
    external_ids: ExternalIds | None = None

    _blank = field_validator(
        "first_air_date", "last_air_date", "tagline", "homepage", mode="before"
    )(_empty_to_none)

    @property
    def year(self) -> int | None:
        return self.first_air_date.year if self.first_air_date else None


class EpisodeDetails(_Model):
    """``episodes[]`` of ``GET /tv/{id}/season/{n}``, or ``GET …/episode/{e}``."""

    id: int
    season_number: int
    episode_number: int
    name: str | None = None
    overview: str | None = None
    air_date: date | None = None
    runtime: int | None = None
    still_path: str | None = None
    vote_average: float = 0.0
    vote_count: int = 0

    _blank_date = field_validator("air_date", mode="before")(_empty_to_none)


class SeasonDetails(_Model):
    """``GET /tv/{id}/season/{n}`` (its ``_id`` is a string and is ignored)."""

    id: int
    season_number: int
    name: str | None = None
    overview: str | None = None
    air_date: date | None = None
    poster_path: str | None = None
    vote_average: float = 0.0
    episodes: list[EpisodeDetails] = []

    _blank_date = field_validator("air_date", mode="before")(_empty_to_none)


class _ErrorBody(_Model):
    status_code: int | None = None
    status_message: str = ""


M = TypeVar("M", bound=BaseModel)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None  # an HTTP date: fall back to the exponential backoff


class _RetryableStatus(TmdbStatusError):
    def __init__(self, request: str, response: httpx.Response, body: _ErrorBody) -> None:
        super().__init__(
            request,
            response.status_code,
            tmdb_code=body.status_code,
            tmdb_message=body.status_message,
        )
        self.retry_after = _retry_after(response)


class TmdbClient:
    """TMDb v3 over one pooled ``httpx.AsyncClient``; use as ``async with TmdbClient(...)``."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        read_access_token: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        requests_per_window: int = 40,
        window_seconds: float = 10.0,
        max_attempts: int = 4,
        retry_wait_max: float = 30.0,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"Accept": "application/json"}
        if read_access_token:
            headers["Authorization"] = f"Bearer {read_access_token}"
        self._api_key = None if read_access_token else api_key
        self._configured = bool(read_access_token or api_key)
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers=headers,
            timeout=timeout,
            transport=transport,
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=20),
        )
        self._limiter = AsyncLimiter(requests_per_window, window_seconds)
        self._max_attempts = max_attempts
        self._retry_wait_max = retry_wait_max
        self.requests = 0
        """HTTP requests sent so far, retries included."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # ------------------------------------------------------------------ endpoints

    async def search_movie(
        self, query: str, *, year: int | None = None, language: str | None = None
    ) -> SearchMovies:
        """``GET /search/movie``: the first page of hits."""
        params: dict[str, str] = {"query": query, "include_adult": "false"}
        if year is not None:
            params["year"] = str(year)
        if language:
            params["language"] = normalise_language(language)
        return await self.get("search/movie", params, SearchMovies)

    async def movie(
        self, tmdb_id: int, *, language: str | None = None, append: Sequence[str] = ()
    ) -> MovieDetails:
        """``GET /movie/{id}``, with ``append_to_response`` sub-resources in the same request."""
        params: dict[str, str] = {}
        if language:
            params["language"] = normalise_language(language)
        if append:
            params["append_to_response"] = ",".join(append)
        return await self.get(f"movie/{tmdb_id}", params, MovieDetails)

    async def movie_credits(self, tmdb_id: int) -> Credits:
        """``GET /movie/{id}/credits``."""
        return await self.get(f"movie/{tmdb_id}/credits", {}, Credits)

    async def movie_release_dates(self, tmdb_id: int) -> ReleaseDates:
        """``GET /movie/{id}/release_dates``."""
        return await self.get(f"movie/{tmdb_id}/release_dates", {}, ReleaseDates)

    async def search_tv(
        self, query: str, *, first_air_date_year: int | None = None, language: str | None = None
    ) -> SearchTv:
        """``GET /search/tv``: the first page of hits."""
        params: dict[str, str] = {"query": query, "include_adult": "false"}
        if first_air_date_year is not None:
            params["first_air_date_year"] = str(first_air_date_year)
        if language:
            params["language"] = normalise_language(language)
        return await self.get("search/tv", params, SearchTv)

    async def tv(
        self, tmdb_id: int, *, language: str | None = None, append: Sequence[str] = ()
    ) -> TvDetails:
        """``GET /tv/{id}``, with ``append_to_response`` sub-resources in the same request."""
        params: dict[str, str] = {}
        if language:
            params["language"] = normalise_language(language)
        if append:
            params["append_to_response"] = ",".join(append)
        return await self.get(f"tv/{tmdb_id}", params, TvDetails)

    async def tv_season(
        self, tmdb_id: int, season_number: int, *, language: str | None = None
    ) -> SeasonDetails:
        """``GET /tv/{id}/season/{n}`` with its episodes."""
        params: dict[str, str] = {}
        if language:
            params["language"] = normalise_language(language)
        return await self.get(f"tv/{tmdb_id}/season/{season_number}", params, SeasonDetails)

    # ------------------------------------------------------------------ the request

    async def get(self, path: str, params: Mapping[str, str], model: type[M]) -> M:
        """GET ``path`` (relative to the base URL) and validate the answer into ``model``."""
        shown = str(httpx.URL("/" + path.lstrip("/"), params=dict(params)))
        request = f"GET {shown}"
        if not self._configured:
            raise TmdbNotConfiguredError(request)
        query = dict(params)
        if self._api_key:
            query["api_key"] = self._api_key
        attempts = 0
        try:
            async for attempt in stamina.retry_context(
                on=self._backoff,
                attempts=self._max_attempts,
                timeout=None,
                wait_initial=0.5,
                wait_max=self._retry_wait_max,
                name="tmdb",
            ):
                with attempt:
                    attempts += 1
                    response = await self._send(request, path.lstrip("/"), query)
        except _RetryableStatus as exc:
            raise TmdbStatusError(
                request,
                exc.status,
                tmdb_code=exc.tmdb_code,
                tmdb_message=exc.tmdb_message,
                attempts=attempts,
            ) from exc
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            problems = [
                f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
                for error in exc.errors()
            ]
            raise TmdbResponseError(request, model.__name__, problems) from exc

    def _backoff(self, exc: BaseException) -> bool | float:
        if isinstance(exc, _RetryableStatus):
            if exc.retry_after is not None:
                return min(exc.retry_after, self._retry_wait_max)
            return True
        return isinstance(exc, TmdbTransportError)

    async def _send(self, request: str, path: str, query: Mapping[str, str]) -> httpx.Response:
        async with self._limiter:
            self.requests += 1
            try:
                response = await self._http.get(path, params=query)
            except httpx.TransportError as exc:
                raise TmdbTransportError(request, exc) from exc
        if response.status_code == 200:
            return response
        try:
            body = _ErrorBody.model_validate_json(response.content)
        except ValidationError:
            body = _ErrorBody()
        if response.status_code == 429 or response.status_code >= 500:
            raise _RetryableStatus(request, response, body)
        raise TmdbStatusError(
            request,
            response.status_code,
            tmdb_code=body.status_code,
            tmdb_message=body.status_message,
        )
