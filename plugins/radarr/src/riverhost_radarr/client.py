"""The async Radarr v3 client: models of what the sync reads, the requests, their failures.

:class:`RadarrClient` wraps one ``httpx.AsyncClient`` on ``{base_url}/api/v3`` with the
``X-Api-Key`` header, spends an ``aiolimiter`` budget (10 requests a second, bursts of 20 by
default) and retries 5xx answers and transport errors with ``stamina`` (exponential backoff
with jitter). Every failure is a :class:`RadarrError` naming the request and, for an answer,
its status; 404 is :class:`RadarrNotFoundError` (the item is gone: not worth a retry). Models
ignore fields they do not know (facts in ``shared/reference/media-apis.md`` §0-1).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import Self, TypeVar

import httpx
import stamina
from aiolimiter import AsyncLimiter
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel

__all__ = [
    "MediaInfo",
    "Quality",
    "RadarrClient",
    "RadarrError",
    "RadarrMovie",
    "RadarrMovieFile",
    "RadarrNotFoundError",
    "RadarrResponseError",
    "RadarrStatusError",
    "RadarrTransportError",
]


# ---------------------------------------------------------------------------------- errors


class RadarrError(Exception):
    """A Radarr request failed; ``request`` names it (``GET /api/v3/movie/1``)."""

    def __init__(self, request: str, message: str) -> None:
        super().__init__(f"Radarr {request}: {message}")
        self.request = request


class RadarrStatusError(RadarrError):
    """Radarr answered with an error status (after the retries, for 5xx)."""

    def __init__(self, request: str, status: int, *, detail: str = "", attempts: int = 1) -> None:
        said = f" ({detail})" if detail else ""
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        hint = " (check plugins.radarr.api_key)" if status in (401, 403) else ""
        super().__init__(request, f"answered HTTP {status}{said}{tries}{hint}")
        self.status = status
        self.detail = detail
        self.attempts = attempts


class RadarrNotFoundError(RadarrStatusError):
    """404: Radarr does not have the item (any more)."""

    def __init__(self, request: str) -> None:
        super().__init__(request, 404)


class RadarrTransportError(RadarrError):
    """The request never got an answer (connection refused, timeout, protocol error)."""

    def __init__(self, request: str, cause: BaseException, attempts: int = 1) -> None:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(request, f"no answer{tries}: {type(cause).__name__}: {cause}")
        self.cause = cause


class RadarrResponseError(RadarrError):
    """Radarr answered 200 with a body that does not fit the model: names every bad field."""

    def __init__(self, request: str, problems: list[str]) -> None:
        super().__init__(request, "the answer does not fit: " + "; ".join(problems))
        self.problems = problems


class _Retryable(RadarrStatusError):
    pass


# ---------------------------------------------------------------------------------- models


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="ignore", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


class Language(_Model):
    id: int = 0
    name: str = ""


class Image(_Model):
    cover_type: str = ""
    url: str | None = None
    remote_url: str | None = None


class Rating(_Model):
    votes: int = 0
    value: float = 0.0


class Ratings(_Model):
    imdb: Rating | None = None
    tmdb: Rating | None = None


class QualityDefinition(_Model):
    id: int = 0
    name: str = ""
    source: str = ""
    resolution: int = 0


class Quality(_Model):
    quality: QualityDefinition = QualityDefinition()


class MediaInfo(_Model):
    audio_channels: float | None = None
    audio_codec: str | None = None
    video_bitrate: int | None = None
    video_codec: str | None = None
    video_fps: float | None = None
    resolution: str | None = None
    """``"1920x800"``."""
    run_time: str | None = None
    """``"2:16:18"``."""


class RadarrMovieFile(_Model):
    """MovieFileResource (``GET /moviefile``, or a movie's ``movieFile``)."""

    id: int
    movie_id: int = 0
    relative_path: str | None = None
    path: str
    size: int = 0
    date_added: datetime | None = None
    scene_name: str | None = None
    release_group: str | None = None
    edition: str | None = None
    quality: Quality = Quality()
    media_info: MediaInfo | None = None


class RadarrMovie(_Model):
    """MovieResource (``GET /movie``, ``GET /movie/{id}``)."""

    id: int
    title: str
    original_title: str | None = None
    original_language: Language | None = None
    year: int = 0
    runtime: int = 0
    overview: str | None = None
    status: str | None = None
    in_cinemas: datetime | None = None
    physical_release: datetime | None = None
    digital_release: datetime | None = None
    images: list[Image] = []
    website: str | None = None
    you_tube_trailer_id: str | None = None
    imdb_id: str | None = None
    tmdb_id: int = 0
    genres: list[str] = []
    has_file: bool | None = None
    movie_file_id: int = 0
    ratings: Ratings = Ratings()
    popularity: float | None = None
    movie_file: RadarrMovieFile | None = None


M = TypeVar("M")


# ---------------------------------------------------------------------------------- client


class RadarrClient:
    """Radarr's API v3 over one pooled ``httpx.AsyncClient``; ``async with RadarrClient(...)``."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        requests_per_second: float = 10.0,
        burst: int = 20,
        max_attempts: int = 4,
        retry_wait_max: float = 10.0,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/api/v3/",
            headers={"X-Api-Key": api_key, "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )
        self._limiter = AsyncLimiter(burst, burst / requests_per_second)
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
        await self._http.aclose()

    async def movies(self) -> list[RadarrMovie]:
        """``GET /movie``: every movie, each with its file when it has one."""
        return await self.get("movie", {}, _MOVIES)

    async def movie(self, movie_id: int) -> RadarrMovie:
        """``GET /movie/{id}``; :class:`RadarrNotFoundError` when Radarr has no such movie."""
        return await self.get(f"movie/{movie_id}", {}, _MOVIE)

    async def movie_files(self, movie_id: int) -> list[RadarrMovieFile]:
        """``GET /moviefile?movieId=``: a movie's files."""
        return await self.get("moviefile", {"movieId": str(movie_id)}, _FILES)

    async def get(self, path: str, params: Mapping[str, str], model: TypeAdapter[M]) -> M:
        """GET ``path`` (under ``/api/v3``) and validate the answer into ``model``."""
        request = "GET " + str(httpx.URL("/api/v3/" + path.lstrip("/"), params=dict(params)))
        attempts = 0
        try:
            async for attempt in stamina.retry_context(
                on=(_Retryable, RadarrTransportError),
                attempts=self._max_attempts,
                timeout=None,
                wait_initial=0.2,
                wait_max=self._retry_wait_max,
                name="radarr",
            ):
                with attempt:
                    attempts += 1
                    response = await self._send(request, path.lstrip("/"), params)
        except _Retryable as exc:
            raise RadarrStatusError(
                request, exc.status, detail=exc.detail, attempts=attempts
            ) from exc
        except RadarrTransportError as exc:
            raise RadarrTransportError(request, exc.cause, attempts) from exc
        try:
            return model.validate_json(response.content)
        except ValidationError as exc:
            problems = [
                f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
                for error in exc.errors()[:10]
            ]
            raise RadarrResponseError(request, problems) from exc

    async def _send(self, request: str, path: str, params: Mapping[str, str]) -> httpx.Response:
        async with self._limiter:
            self.requests += 1
            try:
                response = await self._http.get(path, params=dict(params))
            except httpx.TransportError as exc:
                raise RadarrTransportError(request, exc) from exc
        status = response.status_code
        if status == 200:
            return response
        if status == 404:
            raise RadarrNotFoundError(request)
        detail = _message_of(response)
        if status >= 500:
            raise _Retryable(request, status, detail=detail)
        raise RadarrStatusError(request, status, detail=detail)


def _message_of(response: httpx.Response) -> str:
    """Radarr's ``{"message": ...}`` (or a ProblemDetails ``title``), shortened."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        return str(body.get("message") or body.get("title") or "")[:200]
    return ""


_MOVIES: TypeAdapter[list[RadarrMovie]] = TypeAdapter(list[RadarrMovie])
_MOVIE: TypeAdapter[RadarrMovie] = TypeAdapter(RadarrMovie)
_FILES: TypeAdapter[list[RadarrMovieFile]] = TypeAdapter(list[RadarrMovieFile])
