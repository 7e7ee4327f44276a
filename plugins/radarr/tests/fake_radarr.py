"""A Radarr v3 on loopback (pytest-httpserver), shaped like ``media-apis.md`` §0-1: the API key
from ``X-Api-Key`` (401 with an empty body otherwise), ``/movie``, ``/movie/{id}`` (404 as
ProblemDetails), ``/moviefile?movieId=`` (400 without it), and answers of 500 on demand."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from werkzeug import Request, Response

from riverhost_media.arrtesting import FakeArr, json_response, not_found

API_KEY = "radarr-test-key"
HERE = Path(__file__).parent
MATRIX = json.loads((HERE / "movie_resource.json").read_text())
WEBHOOKS: dict[str, dict[str, Any]] = json.loads((HERE / "webhooks.json").read_text())


def movie_resource(
    radarr_id: int, tmdb_id: int, title: str, year: int, *, file_id: int | None
) -> dict[str, Any]:
    """A MovieResource like the reference's Matrix, with or without its file."""
    movie = copy.deepcopy(MATRIX)
    folder = f"/movies/{title} ({year})"
    movie.update(
        id=radarr_id,
        tmdbId=tmdb_id,
        titleSlug=str(tmdb_id),
        title=title,
        originalTitle=title,
        year=year,
        path=folder,
        folderName=folder,
        imdbId=f"tt{tmdb_id:07d}",
        inCinemas=f"{year}-03-31T00:00:00Z",
    )
    if file_id is None:
        del movie["movieFile"]
        movie.update(hasFile=False, movieFileId=0, sizeOnDisk=0)
        movie["statistics"] = {"movieFileCount": 0, "sizeOnDisk": 0, "releaseGroups": []}
    else:
        name = f"{title} ({year}) Bluray-1080p.mkv"
        movie["movieFile"].update(
            id=file_id, movieId=radarr_id, relativePath=name, path=f"{folder}/{name}"
        )
        movie.update(hasFile=True, movieFileId=file_id)
    return movie


def small_library() -> dict[int, dict[str, Any]]:
    """The Matrix and Dune: Part Two with files, Alien without."""
    return {
        1: movie_resource(1, 603, "The Matrix", 1999, file_id=7),
        2: movie_resource(2, 693134, "Dune Part Two", 2024, file_id=9),
        3: movie_resource(3, 348, "Alien", 1979, file_id=None),
    }


class FakeRadarr(FakeArr):
    """Install on an ``HTTPServer``; ``movies`` may be changed between requests."""

    def __init__(self, httpserver: Any, movies: dict[int, dict[str, Any]] | None = None) -> None:
        super().__init__(httpserver, API_KEY)
        self.movies = small_library() if movies is None else movies

    def route(self, path: str, request: Request) -> Response | None:
        if path == "/movie":
            return json_response(list(self.movies.values()))
        if match := re.fullmatch(r"/movie/(\d+)", path):
            movie = self.movies.get(int(match.group(1)))
            return not_found() if movie is None else json_response(movie)
        if path == "/moviefile":
            ids = request.args.getlist("movieId")
            if not ids:
                return json_response({"message": "movieId or movieFileIds must be provided"}, 400)
            files = [
                {**movie["movieFile"], "customFormats": [], "customFormatScore": 0}
                for movie_id in ids
                if (movie := self.movies.get(int(movie_id))) and "movieFile" in movie
            ]
            return json_response(files)
        return None
