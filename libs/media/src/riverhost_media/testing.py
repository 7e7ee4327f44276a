"""Test helpers for media plugins: a TMDb-shaped loopback server and real media files.

:class:`FakeTmdb` installs handlers on a ``pytest_httpserver.HTTPServer`` that answer like TMDb
v3 (facts in ``shared/reference/media-apis.md`` §3): both auth styles, TMDb's error bodies,
``/search/movie``, ``/movie/{id}`` with ``append_to_response``, ``/credits`` and
``/release_dates``, titles per language; ``/search/tv``, ``/tv/{id}`` with ``credits``,
``content_ratings`` and ``external_ids`` appended, ``/tv/{id}/season/{n}``.
:func:`make_video` writes a real one-second video with ``ffmpeg -f lavfi`` (made once per
process and copied). :class:`FakeTypesense` answers like Typesense's HTTP API, documents in
memory. Needs the ``test`` extra
(pytest-httpserver) and ``ffmpeg``; nothing here is imported by the library itself.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from riverhost_media.names import normalise_title, title_similarity

if TYPE_CHECKING:
    from pytest_httpserver import HTTPServer
    from werkzeug import Request, Response

    from riverhost import JobArgs
    from riverhost.registry import Registry
    from riverhost.testing import JobRun

__all__ = [
    "API_KEY",
    "DEFAULT_MOVIES",
    "DEFAULT_SERIES",
    "TYPESENSE_API_KEY",
    "FakeTmdb",
    "FakeTypesense",
    "declared_kinds",
    "make_video",
    "movie_body",
    "plugin_settings",
    "rows",
    "run_job",
    "schema_tables",
    "series_body",
]

API_KEY = "test-api-key"
BEARER = "test-read-access-token"


def movie_body(
    tmdb_id: int,
    title: str,
    release_date: str,
    *,
    original_title: str | None = None,
    imdb_id: str | None = None,
    genres: tuple[tuple[int, str], ...] = (),
    titles: Mapping[str, str] | None = None,
    cast: tuple[tuple[int, str, str], ...] = (),
    directors: tuple[tuple[int, str], ...] = (),
    certification: str = "R",
    popularity: float = 50.0,
) -> dict[str, Any]:
    """A ``/movie/{id}`` body (credits and release dates kept aside for their endpoints)."""
    return {
        "id": tmdb_id,
        "title": title,
        "original_title": original_title or title,
        "original_language": "en",
        "overview": f"The overview of {title}.",
        "tagline": f"The tagline of {title}.",
        "status": "Released",
        "release_date": release_date,
        "runtime": 120,
        "imdb_id": imdb_id,
        "genres": [{"id": gid, "name": name} for gid, name in genres],
        "poster_path": f"/poster{tmdb_id}.jpg",
        "backdrop_path": None,
        "popularity": popularity,
        "vote_average": 8.1,
        "vote_count": 1000,
        "budget": 63000000,
        "revenue": 100853753,
        "homepage": "",
        "adult": False,
        "video": False,
        "_titles": dict(titles or {}),
        "_credits": {
            "cast": [
                {
                    "adult": False,
                    "id": pid,
                    "name": name,
                    "original_name": name,
                    "character": character,
                    "order": order,
                    "cast_id": order + 1,
                    "credit_id": f"c{tmdb_id}{pid}",
                    "profile_path": None,
                    "known_for_department": "Acting",
                }
                for order, (pid, name, character) in enumerate(cast)
            ],
            "crew": [
                {
                    "id": pid,
                    "name": name,
                    "department": "Directing",
                    "job": "Director",
                    "credit_id": f"d{tmdb_id}{pid}",
                    "profile_path": None,
                }
                for pid, name in directors
            ],
        },
        "_release_dates": {
            "results": [
                {
                    "iso_3166_1": "US",
                    "release_dates": [
                        {
                            "certification": certification,
                            "descriptors": [],
                            "iso_639_1": "",
                            "note": "",
                            "release_date": f"{release_date}T00:00:00.000Z",
                            "type": 3,
                        }
                    ],
                }
            ]
        },
    }


DEFAULT_MOVIES: dict[int, dict[str, Any]] = {
    603: movie_body(
        603,
        "The Matrix",
        "1999-03-31",
        imdb_id="tt0133093",
        genres=((28, "Action"), (878, "Science Fiction")),
        titles={"de-DE": "Matrix"},
        cast=((6384, "Keanu Reeves", "Neo"), (2975, "Laurence Fishburne", "Morpheus")),
        directors=((9339, "Lana Wachowski"), (9340, "Lilly Wachowski")),
        popularity=80.0,
    ),
    604: movie_body(604, "The Matrix Reloaded", "2003-05-15", imdb_id="tt0234215"),
    194: movie_body(
        194,
        "Amélie",
        "2001-04-25",
        original_title="Le Fabuleux Destin d'Amélie Poulain",
        imdb_id="tt0211915",
        genres=((35, "Comedy"), (10749, "Romance")),
        titles={"de-DE": "Die fabelhafte Welt der Amélie"},
        cast=((3134, "Audrey Tautou", "Amélie Poulain"),),
        directors=((2419, "Jean-Pierre Jeunet"),),
    ),
    27205: movie_body(
        27205,
        "Inception",
        "2010-07-15",
        imdb_id="tt1375666",
        genres=((28, "Action"),),
        cast=((6193, "Leonardo DiCaprio", "Cobb"),),
        directors=((525, "Christopher Nolan"),),
    ),
}


def series_body(
    tmdb_id: int,
    name: str,
    first_air_date: str,
    seasons: Mapping[int, list[tuple[int, str, str]]],
    *,
    titles: Mapping[str, str] | None = None,
    genres: tuple[tuple[int, str], ...] = ((18, "Drama"),),
    networks: tuple[tuple[int, str], ...] = ((174, "AMC"),),
    cast: tuple[tuple[int, str, str], ...] = (),
    rating: str = "TV-MA",
    tvdb_id: int | None = None,
) -> dict[str, Any]:
    """A ``/tv/{id}`` body; ``seasons`` maps season numbers (0 = specials) to their episodes
    (number, name, air date), kept aside for ``/tv/{id}/season/{n}``."""
    episodes_total = sum(len(eps) for number, eps in seasons.items() if number > 0)
    return {
        "id": tmdb_id,
        "name": name,
        "original_name": name,
        "original_language": "en",
        "overview": f"The overview of {name}.",
        "tagline": "",
        "status": "Ended",
        "type": "Scripted",
        "first_air_date": first_air_date,
        "last_air_date": max((ep[2] for eps in seasons.values() for ep in eps), default=""),
        "number_of_seasons": len([n for n in seasons if n > 0]),
        "number_of_episodes": episodes_total,
        "genres": [{"id": gid, "name": gname} for gid, gname in genres],
        "networks": [
            {"id": nid, "name": nname, "logo_path": None, "origin_country": "US"}
            for nid, nname in networks
        ],
        "seasons": [
            {
                "id": tmdb_id * 100 + number,
                "season_number": number,
                "name": "Specials" if number == 0 else f"Season {number}",
                "overview": "",
                "air_date": eps[0][2] if eps else None,
                "episode_count": len(eps),
                "poster_path": None,
                "vote_average": 0,
            }
            for number, eps in sorted(seasons.items())
        ],
        "poster_path": f"/tvposter{tmdb_id}.jpg",
        "backdrop_path": None,
        "homepage": "",
        "popularity": 100.0,
        "vote_average": 8.9,
        "vote_count": 1000,
        "adult": False,
        "_titles": dict(titles or {}),
        "_seasons": {number: list(eps) for number, eps in seasons.items()},
        "_credits": {
            "cast": [
                {"id": pid, "name": pname, "character": character, "order": order}
                for order, (pid, pname, character) in enumerate(cast)
            ],
            "crew": [],
        },
        "_content_ratings": {"results": [{"iso_3166_1": "US", "rating": rating}]},
        "_external_ids": {"imdb_id": f"tt{tmdb_id:07d}", "tvdb_id": tvdb_id},
    }


def _season_body(series: Mapping[str, Any], number: int, language: str) -> dict[str, Any]:
    tmdb_id = int(series["id"])
    episodes = series["_seasons"][number]
    prefix = "" if language == "en-US" else f"[{language}] "
    return {
        "_id": f"5256c89f19c2956ff60{tmdb_id}{number}",
        "id": tmdb_id * 100 + number,
        "season_number": number,
        "name": prefix + ("Specials" if number == 0 else f"Season {number}"),
        "overview": f"{prefix}Season {number} of {series['name']}.",
        "air_date": episodes[0][2] if episodes else None,
        "poster_path": None,
        "vote_average": 8.0,
        "episodes": [
            {
                "id": tmdb_id * 10000 + number * 100 + episode,
                "season_number": number,
                "episode_number": episode,
                "name": prefix + name,
                "overview": f"{prefix}{name}, an episode.",
                "air_date": aired,
                "runtime": 45,
                "still_path": None,
                "show_id": tmdb_id,
                "production_code": "",
                "vote_average": 7.5,
                "vote_count": 10,
                "crew": [],
                "guest_stars": [],
            }
            for episode, name, aired in episodes
        ],
    }


DEFAULT_SERIES: dict[int, dict[str, Any]] = {
    1396: series_body(
        1396,
        "Breaking Bad",
        "2008-01-20",
        {
            0: [(1, "Good Cop Bad Cop", "2009-02-17")],
            1: [
                (1, "Pilot", "2008-01-20"),
                (2, "Cat's in the Bag...", "2008-01-27"),
                (3, "...And the Bag's in the River", "2008-02-10"),
            ],
            2: [(1, "Seven Thirty-Seven", "2009-03-08")],
        },
        titles={"de-DE": "Breaking Bad (DE)"},
        cast=((17419, "Bryan Cranston", "Walter White"), (84497, "Aaron Paul", "Jesse Pinkman")),
        tvdb_id=81189,
    ),
    2224: series_body(
        2224,
        "The Daily Show",
        "1996-07-22",
        {29: [(70, "Guest One", "2024-03-01"), (71, "Guest Two", "2024-03-04")]},
        genres=((35, "Comedy"),),
        networks=((56, "Comedy Central"),),
    ),
    209867: series_body(
        209867,
        "Frieren",
        "2023-09-29",
        {
            1: [(n, f"Episode {n}", f"2023-10-{n:02d}") for n in range(1, 11)],
            2: [(n, f"Part Two {n}", f"2023-12-{n:02d}") for n in range(1, 6)],
        },
        genres=((16, "Animation"),),
        networks=((614, "Nippon TV"),),
    ),
}


def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    from werkzeug import Response

    return Response(
        json.dumps(body), status=status, headers=dict(headers or {}), mimetype="application/json"
    )


def _public(movie: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in movie.items() if not key.startswith("_")}


class FakeTmdb:
    """TMDb v3 on a loopback ``HTTPServer``; ``base_url`` is what the client needs.

    ``movies`` maps TMDb ids to detail bodies (see :data:`DEFAULT_MOVIES`); a test may edit
    them (drop a field) or queue failures with ``server.expect_oneshot_request`` before a call.
    ``requests`` counts the answered requests by path; ``omit`` names fields to leave out of a
    movie's ``/movie/{id}`` answers (searches still find it).
    """

    def __init__(
        self,
        server: HTTPServer,
        movies: Mapping[int, Mapping[str, Any]] | None = None,
        series: Mapping[int, Mapping[str, Any]] | None = None,
    ) -> None:
        import re

        self.server = server
        source = DEFAULT_MOVIES if movies is None else movies
        self.movies: dict[int, dict[str, Any]] = {
            key: copy.deepcopy(dict(value)) for key, value in source.items()
        }
        self.series: dict[int, dict[str, Any]] = {
            key: copy.deepcopy(dict(value))
            for key, value in (DEFAULT_SERIES if series is None else series).items()
        }
        self.requests: dict[str, int] = {}
        self.omit: dict[int, list[str]] = {}
        self._by_title: dict[str, list[int]] = {}
        self.reindex()
        self._lock = threading.Lock()
        server.expect_request(re.compile(r"^/3/.*$")).respond_with_handler(self._answer)

    def reindex(self) -> None:
        """Rebuild the exact-title lookup after changing ``movies``' titles."""
        self._by_title = {}
        for tmdb_id, movie in self.movies.items():
            key = normalise_title(str(movie.get("title", "")))
            self._by_title.setdefault(key, []).append(tmdb_id)

    @property
    def base_url(self) -> str:
        return self.server.url_for("/3")

    def count(self, prefix: str = "/3/") -> int:
        """Requests answered whose path starts with ``prefix``."""
        with self._lock:
            return sum(n for path, n in self.requests.items() if path.startswith(prefix))

    def _answer(self, request: Request) -> Response:
        with self._lock:
            self.requests[request.path] = self.requests.get(request.path, 0) + 1
        query = {key: values[-1] for key, values in parse_qs(request.query_string.decode()).items()}
        bearer = request.headers.get("Authorization", "")
        if query.get("api_key") != API_KEY and bearer != f"Bearer {BEARER}":
            return _json(
                {
                    "status_code": 7,
                    "status_message": "Invalid API key: You must be granted a valid key.",
                    "success": False,
                },
                401,
            )
        parts = request.path.strip("/").split("/")[1:]
        if parts == ["search", "movie"]:
            return self._search(query)
        if parts == ["search", "tv"]:
            return self._search_tv(query)
        if len(parts) >= 2 and parts[0] == "tv" and parts[1].isdigit():
            return self._tv(int(parts[1]), parts[2:], query)
        if len(parts) >= 2 and parts[0] == "movie" and parts[1].isdigit():
            movie = self.movies.get(int(parts[1]))
            if movie is None:
                return self._not_found()
            sub = parts[2:]
            if sub == ["credits"]:
                return _json({"id": movie.get("id"), **movie["_credits"]})
            if sub == ["release_dates"]:
                return _json({"id": movie.get("id"), **movie["_release_dates"]})
            if not sub:
                return self._details(movie, query)
        return self._not_found()

    def _not_found(self) -> Response:
        return _json(
            {
                "success": False,
                "status_code": 34,
                "status_message": "The resource you requested could not be found.",
            },
            404,
        )

    def _details(self, movie: Mapping[str, Any], query: Mapping[str, str]) -> Response:
        body = _public(movie)
        for name in self.omit.get(int(movie["id"]), []):
            body.pop(name, None)
        language = query.get("language", "en-US")
        if language in movie["_titles"] and "title" in body:
            body["title"] = movie["_titles"][language]
            body["overview"] = f"[{language}] {body['overview']}"
        for name in filter(None, query.get("append_to_response", "").split(",")):
            if name in ("credits", "release_dates"):
                body[name] = movie[f"_{name}"]
        return _json(body)

    def _tv(self, tmdb_id: int, sub: list[str], query: Mapping[str, str]) -> Response:
        series = self.series.get(tmdb_id)
        if series is None:
            return self._not_found()
        language = query.get("language", "en-US")
        if not sub:
            body = _public(series)
            for name in self.omit.get(tmdb_id, []):
                body.pop(name, None)
            if language in series["_titles"] and "name" in body:
                body["name"] = series["_titles"][language]
                body["overview"] = f"[{language}] {body['overview']}"
            for name in filter(None, query.get("append_to_response", "").split(",")):
                if name in ("credits", "content_ratings", "external_ids"):
                    body[name] = series[f"_{name}"]
            return _json(body)
        if len(sub) == 2 and sub[0] == "season" and sub[1].isdigit():
            number = int(sub[1])
            if number not in series["_seasons"]:
                return self._not_found()
            return _json(_season_body(series, number, language))
        return self._not_found()

    def _search_tv(self, query: Mapping[str, str]) -> Response:
        wanted = query.get("query", "")
        year = query.get("first_air_date_year")
        hits = []
        for series in self.series.values():
            if title_similarity(wanted, str(series.get("name", ""))) < 0.6:
                continue
            if year and not str(series.get("first_air_date", "")).startswith(year):
                continue
            hit = {
                key: series[key]
                for key in (
                    "id",
                    "name",
                    "original_name",
                    "original_language",
                    "overview",
                    "first_air_date",
                    "poster_path",
                    "backdrop_path",
                    "popularity",
                    "vote_average",
                    "vote_count",
                )
            }
            hit["genre_ids"] = [genre["id"] for genre in series["genres"]]
            hit["origin_country"] = ["US"]
            hits.append(hit)
        hits.sort(key=lambda hit: -title_similarity(wanted, str(hit["name"])))
        return _json({"page": 1, "results": hits, "total_pages": 1, "total_results": len(hits)})

    def _search(self, query: Mapping[str, str]) -> Response:
        wanted = query.get("query", "")
        year = query.get("year")
        hits = []
        exact = [self.movies[i] for i in self._by_title.get(normalise_title(wanted), [])]
        # Exact titles first (a large fake library answers in constant time); else similar ones.
        for movie in exact or self.movies.values():
            title = str(movie.get("title", ""))
            close = bool(exact) or title_similarity(wanted, title) >= 0.6
            if not close or (year and not str(movie.get("release_date", "")).startswith(year)):
                continue
            hit = _public(movie)
            for key in ("genres", "runtime", "imdb_id", "tagline", "status", "budget", "revenue"):
                hit.pop(key, None)
            hit["genre_ids"] = [genre["id"] for genre in movie.get("genres", [])]
            hits.append(hit)
        hits.sort(key=lambda hit: -title_similarity(wanted, str(hit.get("title", ""))))
        return _json({"page": 1, "results": hits, "total_pages": 1, "total_results": len(hits)})


_VIDEO_LOCK = threading.Lock()
_VIDEOS: dict[str, str] = {}


def make_video(path: str | os.PathLike[str], *, seconds: int = 1) -> str:
    """Write a real ``seconds``-long 320x240 video with a tone at ``path`` (container from the
    extension: .mkv, .mp4, …); made with ``ffmpeg -f lavfi`` once per extension and copied."""
    target = os.fspath(path)
    extension = os.path.splitext(target)[1].lower()
    key = f"{extension}:{seconds}"
    with _VIDEO_LOCK:
        source = _VIDEOS.get(key)
        if source is None or not os.path.exists(source):
            folder = tempfile.mkdtemp(prefix="riverhost-media-")
            source = os.path.join(folder, f"source{extension}")
            subprocess.run(
                [
                    "ffmpeg",
                    *("-v", "error", "-y"),
                    *("-f", "lavfi", "-i", f"testsrc=duration={seconds}:size=320x240:rate=10"),
                    *("-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"),
                    *("-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest"),
                    source,
                ],
                check=True,
                capture_output=True,
            )
            _VIDEOS[key] = source
    os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
    shutil.copyfile(source, target)
    return target


TYPESENSE_API_KEY = "test-typesense-key"

_TS_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "string[]": list,
    "int32": int,
    "int64": int,
    "float": (int, float),
    "bool": bool,
}


class FakeTypesense:
    """Typesense's HTTP API on a loopback ``HTTPServer``, documents kept in memory.

    Answers what :class:`~riverhost_media.typesense.TypesenseIndex` sends, the way Typesense
    does: ``POST /collections`` (409 if it exists), ``GET`` / ``DELETE /collections/{name}``,
    ``POST`` / ``PUT /collections/{name}/documents?action=upsert`` (400 for a document missing
    a required field or with a field of the wrong type), ``POST .../documents/import`` (JSONL
    in, one JSONL result per line out), ``GET`` / ``DELETE .../documents/{id}`` (404 when
    absent) and ``GET .../documents/search`` (every query word a prefix of a word of the
    ``query_by`` fields; ``*`` matches all). Requests without ``X-TYPESENSE-API-KEY`` get 401.
    ``fail(status, times)`` answers the next ``times`` requests with ``status``;
    ``requests`` lists ``(method, path)`` of every request.
    """

    def __init__(self, server: HTTPServer, api_key: str = TYPESENSE_API_KEY) -> None:
        import re

        self.server = server
        self.api_key = api_key
        self.collections: dict[str, dict[str, Any]] = {}
        self.documents: dict[str, dict[str, dict[str, Any]]] = {}
        self.requests: list[tuple[str, str]] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()
        server.expect_request(re.compile(r"^/(collections|health).*$")).respond_with_handler(
            self._answer
        )

    @property
    def url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def fail(self, status: int = 503, times: int = 1) -> None:
        """Answer the next ``times`` requests with ``status``."""
        with self._lock:
            self._failures.extend([status] * times)

    def _answer(self, request: Request) -> Response:
        with self._lock:
            self.requests.append((request.method, request.path))
            if self._failures:
                status = self._failures.pop(0)
                return _json({"message": f"Fake failure {status}"}, status)
            if request.headers.get("X-TYPESENSE-API-KEY") != self.api_key:
                return _json(
                    {"message": "Forbidden - a valid `x-typesense-api-key` header must be sent."},
                    401,
                )
            parts = [each for each in request.path.split("/") if each][1:]
            return self._route(request, parts)

    def _route(self, request: Request, parts: list[str]) -> Response:
        method = request.method
        if not parts:
            if method == "POST":
                return self._create(json.loads(request.get_data(as_text=True)))
            return _json(list(self.collections.values()))
        name, rest = parts[0], parts[1:]
        if name not in self.collections:
            return _json({"message": "Not Found"}, 404)
        docs = self.documents[name]
        if not rest:
            if method == "DELETE":
                del self.documents[name]
                return _json(self.collections.pop(name))
            return _json({**self.collections[name], "num_documents": len(docs)})
        if rest == ["documents"] and method in ("POST", "PUT"):
            doc = json.loads(request.get_data(as_text=True))
            problem = self._invalid(name, doc)
            if problem:
                return _json({"message": problem}, 400)
            action = request.args.get("action", "create")
            if action == "create" and str(doc["id"]) in docs:
                return _json({"message": "A document with id already exists."}, 409)
            docs[str(doc["id"])] = doc
            return _json(doc, 201)
        if rest == ["documents", "import"] and method == "POST":
            return self._import(name, request.get_data(as_text=True))
        if rest == ["documents", "search"] and method == "GET":
            return self._search(name, request.args)
        if len(rest) == 2 and rest[0] == "documents":
            doc_id = rest[1]
            if doc_id not in docs:
                return _json({"message": f"Could not find a document with id: {doc_id}"}, 404)
            if method == "DELETE":
                return _json(docs.pop(doc_id))
            return _json(docs[doc_id])
        return _json({"message": "Not Found"}, 404)

    def _create(self, schema: dict[str, Any]) -> Response:
        name = schema.get("name")
        if not name or not isinstance(schema.get("fields"), list):
            return _json({"message": "Parameter `name` and `fields` are required."}, 400)
        if name in self.collections:
            return _json({"message": f"A collection with name `{name}` already exists."}, 409)
        self.collections[name] = {**schema, "created_at": 0, "num_documents": 0}
        self.documents[name] = {}
        return _json(self.collections[name], 201)

    def _invalid(self, name: str, doc: Any) -> str | None:
        if not isinstance(doc, dict) or "id" not in doc:
            return "Document must be an object with an `id`."
        for field in self.collections[name]["fields"]:
            value = doc.get(field["name"])
            if value is None:
                if field.get("optional"):
                    continue
                return (
                    f"Field `{field['name']}` has been declared in the schema, but is not "
                    "found in the document."
                )
            kind = _TS_TYPES.get(field["type"])
            if kind is not None and (
                not isinstance(value, kind) or (kind is int and isinstance(value, bool))
            ):
                return f"Field `{field['name']}` must be {field['type']}."
        return None

    def _import(self, name: str, body: str) -> Response:
        from werkzeug import Response

        results = []
        for line in body.splitlines():
            if not line.strip():
                continue
            doc = json.loads(line)
            problem = self._invalid(name, doc)
            if problem:
                results.append({"success": False, "error": problem, "document": line, "code": 400})
            else:
                self.documents[name][str(doc["id"])] = doc
                results.append({"success": True})
        return Response("\n".join(json.dumps(each) for each in results), mimetype="text/plain")

    def _search(self, name: str, args: Mapping[str, str]) -> Response:
        query = args.get("q", "")
        fields = [each for each in args.get("query_by", "").split(",") if each]
        limit = int(args.get("per_page", 10))
        words = normalise_title(query).split()
        hits: list[tuple[int, dict[str, Any]]] = []
        for doc in self.documents[name].values():
            flat: list[str] = []
            for field in fields:
                value = doc.get(field)
                for each in value if isinstance(value, list) else [value]:
                    if each is not None:
                        flat.extend(normalise_title(str(each)).split())
            if query.strip() == "*" or (
                words and all(any(w.startswith(q) for w in flat) for q in words)
            ):
                score = sum(flat.count(q) for q in words)
                hits.append((score, doc))
        hits.sort(key=lambda hit: (-hit[0], str(hit[1].get("id"))))
        return _json(
            {
                "facet_counts": [],
                "found": len(hits),
                "hits": [
                    {"document": doc, "text_match": score, "highlights": []}
                    for score, doc in hits[:limit]
                ],
                "out_of": len(self.documents[name]),
                "page": 1,
                "request_params": {"collection_name": name, "per_page": limit, "q": query},
                "search_time_ms": 0,
            }
        )


def plugin_settings(
    plugin: str, library_id: str, tmdb: FakeTmdb, *paths: str | os.PathLike[str], **library: Any
) -> dict[str, dict[str, Any]]:
    """A media plugin's section: one library of ``paths`` (and ``library``'s options) and the
    fake TMDb, in English and German."""
    return {
        plugin: {
            "libraries": [{"id": library_id, "paths": [str(p) for p in paths], **library}],
            "tmdb": {
                "api_key": API_KEY,
                "base_url": tmdb.base_url,
                "languages": ["en", "de"],
                "retry_wait_max": "10ms",
            },
        }
    }


def run_job(
    plugin: str,
    hooks: object,
    url: str,
    config: Mapping[str, Mapping[str, object]],
    args: JobArgs,
) -> JobRun:
    """Work one job of ``args`` on a registry of the one plugin (its ``hooks`` module)."""
    from riverhost.registry import registry_from_objects
    from riverhost.testing import work_one_job

    registry = registry_from_objects((plugin, hooks), settings=config)
    return asyncio.run(work_one_job(registry, url, args))


def rows(url: str, query: str, *params: object) -> list[dict[str, Any]]:
    """The rows of ``query`` in the database at ``url``, as dicts."""
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(query, params).fetchall()


def declared_kinds(registry: Registry) -> dict[str, tuple[Any, ...]]:
    """Each kind's (queue, timeout, max attempts, unique period)."""
    return {
        name: (
            kind.spec.queue,
            kind.spec.timeout,
            kind.max_attempts,
            kind.spec.unique.by_period if kind.spec.unique else None,
        )
        for name, kind in registry.kinds.items()
    }


def schema_tables(url: str, schema: str) -> set[str]:
    """The tables of ``schema`` in the database at ``url``."""
    return {row["table_name"] for row in rows(url, _TABLES, schema)}


_TABLES = "SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
