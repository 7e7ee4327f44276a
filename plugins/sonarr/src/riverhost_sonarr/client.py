"""The async Sonarr v3 client: models of what the sync reads and the requests.

:class:`SonarrClient` is an :class:`~riverhost_media.arr.ArrClient` (rate limit, retries of 5xx
answers and transport errors, failures as :class:`~riverhost_media.arr.ArrError` naming the
request and status; 404 is :class:`~riverhost_media.arr.ArrNotFoundError`). Episode files come
from ``GET /episodefile?seriesId=`` (the seed read ``/episode`` without
``includeEpisodeFile`` and so never got any). Models ignore fields they do not know (facts in
``shared/reference/media-apis.md`` §2).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import TypeAdapter

from riverhost_media.arr import ArrClient, ArrModel, Image, Language, MediaInfo, Quality, Rating

__all__ = ["SonarrClient", "SonarrEpisode", "SonarrEpisodeFile", "SonarrSeries"]


class SeasonResource(ArrModel):
    season_number: int
    monitored: bool = False


class SeriesStatistics(ArrModel):
    season_count: int = 0
    episode_file_count: int = 0
    episode_count: int = 0
    total_episode_count: int = 0


class SonarrSeries(ArrModel):
    """SeriesResource (``GET /series``, ``GET /series/{id}``)."""

    id: int
    title: str
    status: str | None = None
    overview: str | None = None
    network: str | None = None
    images: list[Image] = []
    original_language: Language | None = None
    seasons: list[SeasonResource] = []
    year: int = 0
    path: str | None = None
    tvdb_id: int = 0
    tmdb_id: int = 0
    imdb_id: str | None = None
    first_aired: datetime | None = None
    last_aired: datetime | None = None
    series_type: str | None = None
    genres: list[str] = []
    ratings: Rating = Rating()
    statistics: SeriesStatistics | None = None


class SonarrEpisode(ArrModel):
    """EpisodeResource (``GET /episode?seriesId=``)."""

    id: int
    series_id: int = 0
    tvdb_id: int = 0
    episode_file_id: int = 0
    season_number: int
    episode_number: int
    title: str | None = None
    air_date: date | None = None
    runtime: int = 0
    overview: str | None = None
    has_file: bool = False


class SonarrEpisodeFile(ArrModel):
    """EpisodeFileResource (``GET /episodefile?seriesId=``)."""

    id: int
    series_id: int = 0
    season_number: int = 0
    relative_path: str | None = None
    path: str
    size: int = 0
    release_group: str | None = None
    quality: Quality = Quality()
    media_info: MediaInfo | None = None


class SonarrClient(ArrClient):
    """Sonarr's API v3 (:class:`~riverhost_media.arr.ArrClient`): what the sync reads."""

    app = "Sonarr"

    async def all_series(self) -> list[SonarrSeries]:
        """``GET /series``: every series."""
        return await self.get("series", {}, _ALL_SERIES)

    async def series(self, series_id: int) -> SonarrSeries:
        """``GET /series/{id}``; :class:`ArrNotFoundError` when Sonarr has no such series."""
        return await self.get(f"series/{series_id}", {}, _SERIES)

    async def episodes(self, series_id: int) -> list[SonarrEpisode]:
        """``GET /episode?seriesId=``: a series' episodes."""
        return await self.get("episode", {"seriesId": str(series_id)}, _EPISODES)

    async def episode_files(self, series_id: int) -> list[SonarrEpisodeFile]:
        """``GET /episodefile?seriesId=``: a series' episode files."""
        return await self.get("episodefile", {"seriesId": str(series_id)}, _FILES)


_ALL_SERIES: TypeAdapter[list[SonarrSeries]] = TypeAdapter(list[SonarrSeries])
_SERIES: TypeAdapter[SonarrSeries] = TypeAdapter(SonarrSeries)
_EPISODES: TypeAdapter[list[SonarrEpisode]] = TypeAdapter(list[SonarrEpisode])
_FILES: TypeAdapter[list[SonarrEpisodeFile]] = TypeAdapter(list[SonarrEpisodeFile])
