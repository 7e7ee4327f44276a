"""The async Radarr v3 client: models of what the sync reads and the requests.

:class:`RadarrClient` is an :class:`~riverhost_media.arr.ArrClient` (rate limit, retries of 5xx
answers and transport errors, failures as :class:`~riverhost_media.arr.ArrError` naming the
request and status; 404 is :class:`~riverhost_media.arr.ArrNotFoundError`). Models ignore
fields they do not know (facts in ``shared/reference/media-apis.md`` §0-1).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import TypeAdapter

from riverhost_media.arr import ArrClient, ArrModel, Image, Language, MediaInfo, Quality, Rating

__all__ = ["RadarrClient", "RadarrMovie", "RadarrMovieFile"]


class Ratings(ArrModel):
    imdb: Rating | None = None
    tmdb: Rating | None = None


class RadarrMovieFile(ArrModel):
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


class RadarrMovie(ArrModel):
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


class RadarrClient(ArrClient):
    """Radarr's API v3 (:class:`~riverhost_media.arr.ArrClient`): what the sync reads."""

    app = "Radarr"

    async def movies(self) -> list[RadarrMovie]:
        """``GET /movie``: every movie, each with its file when it has one."""
        return await self.get("movie", {}, _MOVIES)

    async def movie(self, movie_id: int) -> RadarrMovie:
        """``GET /movie/{id}``; :class:`ArrNotFoundError` when Radarr has no such movie."""
        return await self.get(f"movie/{movie_id}", {}, _MOVIE)

    async def movie_files(self, movie_id: int) -> list[RadarrMovieFile]:
        """``GET /moviefile?movieId=``: a movie's files."""
        return await self.get("moviefile", {"movieId": str(movie_id)}, _FILES)


_MOVIES: TypeAdapter[list[RadarrMovie]] = TypeAdapter(list[RadarrMovie])
_MOVIE: TypeAdapter[RadarrMovie] = TypeAdapter(RadarrMovie)
_FILES: TypeAdapter[list[RadarrMovieFile]] = TypeAdapter(list[RadarrMovieFile])
