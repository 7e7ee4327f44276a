"""A Sonarr v3 on loopback (pytest-httpserver), shaped like ``media-apis.md`` §0 and §2: the
API key from ``X-Api-Key``, ``/series``, ``/series/{id}`` (404 as ProblemDetails),
``/episode?seriesId=`` and ``/episodefile?seriesId=`` (400 without it), 500 on demand. The
resources are the reference's examples (``resources.json``) with other ids and titles."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from werkzeug import Request, Response

from riverhost_media.arrtesting import FakeArr, json_response, not_found

API_KEY = "sonarr-test-key"
HERE = Path(__file__).parent
RESOURCES = json.loads((HERE / "resources.json").read_text())
WEBHOOKS: dict[str, dict[str, Any]] = json.loads((HERE / "webhooks.json").read_text())


class Show:
    """One series in the fake: its resource, episodes and files."""

    def __init__(self, sonarr_id: int, tvdb_id: int, tmdb_id: int, title: str, year: int) -> None:
        self.series = copy.deepcopy(RESOURCES["series"])
        self.series.update(
            id=sonarr_id,
            tvdbId=tvdb_id,
            tmdbId=tmdb_id,
            title=title,
            year=year,
            path=f"/tv/{title}",
            titleSlug=title.lower().replace(" ", "-"),
            imdbId=f"tt{tvdb_id:07d}",
        )
        self.episodes: list[dict[str, Any]] = []
        self.files: list[dict[str, Any]] = []
        self._stats()

    def episode(self, episode_id: int, season: int, number: int, *, file_id: int = 0) -> Show:
        body = copy.deepcopy(RESOURCES["episode"])
        body.update(
            id=episode_id,
            seriesId=self.series["id"],
            tvdbId=episode_id * 1000,
            seasonNumber=season,
            episodeNumber=number,
            title=f"Episode {season}x{number}",
            episodeFileId=file_id,
            hasFile=bool(file_id),
        )
        self.episodes.append(body)
        if file_id:
            file = copy.deepcopy(RESOURCES["episodefile"])
            name = f"Season {season:02d}/{self.series['title']} - S{season:02d}E{number:02d}.mkv"
            file.update(
                id=file_id,
                seriesId=self.series["id"],
                seasonNumber=season,
                relativePath=name,
                path=f"{self.series['path']}/{name}",
            )
            self.files.append(file)
        self._stats()
        return self

    def _stats(self) -> None:
        seasons = sorted({e["seasonNumber"] for e in self.episodes})
        self.series["seasons"] = [{"seasonNumber": n, "monitored": n > 0} for n in seasons]
        stats = self.series["statistics"]
        stats.update(
            seasonCount=sum(1 for n in seasons if n > 0),
            episodeFileCount=len(self.files),
            episodeCount=len(self.files),
            totalEpisodeCount=len(self.episodes),
        )


def small_library() -> dict[int, Show]:
    """Breaking Bad (two files and a special), Severance (one file), The Bear (no file)."""
    return {
        3: Show(3, 81189, 1396, "Breaking Bad", 2008)
        .episode(58, 5, 14, file_id=101)
        .episode(59, 5, 15, file_id=102)
        .episode(60, 0, 1),
        4: Show(4, 371980, 95396, "Severance", 2022)
        .episode(201, 2, 1, file_id=301)
        .episode(202, 2, 2),
        5: Show(5, 403245, 136315, "The Bear", 2022).episode(501, 1, 1),
    }


class FakeSonarr(FakeArr):
    """Install on an ``HTTPServer``; ``shows`` may be changed between requests."""

    def __init__(self, httpserver: Any) -> None:
        super().__init__(httpserver, API_KEY)
        self.shows = small_library()

    def route(self, path: str, request: Request) -> Response | None:
        if path == "/series":
            return json_response([show.series for show in self.shows.values()])
        if match := re.fullmatch(r"/series/(\d+)", path):
            show = self.shows.get(int(match.group(1)))
            return not_found() if show is None else json_response(show.series)
        if path in ("/episode", "/episodefile"):
            series_id = request.args.get("seriesId")
            if series_id is None:
                return json_response({"message": "seriesId or episodeIds must be provided"}, 400)
            show = self.shows.get(int(series_id))
            if show is None:
                return json_response([])
            return json_response(show.episodes if path == "/episode" else show.files)
        return None
