"""Test helpers of the *arr plugins (radarr, sonarr): a loopback app base, the host's HTTP
server on a thread, and database peeks. Needs the ``test`` extra (pytest-httpserver); nothing
here is imported by the library itself.

:class:`FakeArr` installs a handler on a ``pytest_httpserver.HTTPServer`` that answers like an
*arr app's API v3 (``shared/reference/media-apis.md`` §0): the API key from ``X-Api-Key`` (401
with an empty body otherwise), 500 on demand (``fail_next``), a ProblemDetails 404; a
subclass answers its resources in :meth:`FakeArr.route`.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import httpx
import psycopg

from riverhost.http.testing import Served as ServedBase
from riverhost_media.testing import declared_kinds, rows

if TYPE_CHECKING:
    from werkzeug import Request, Response


__all__ = [
    "FakeArr",
    "Served",
    "declared_kinds",
    "forget_jobs",
    "json_response",
    "not_found",
    "rows",
]


def json_response(body: Any, status: int = 200, mimetype: str = "application/json") -> Response:
    from werkzeug import Response

    return Response(json.dumps(body), status=status, mimetype=mimetype)


def not_found() -> Response:
    """What an *arr app answers for an unknown id (ASP.NET's ProblemDetails)."""
    problem = {
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        "title": "Not Found",
        "status": 404,
        "traceId": "00-0-0-00",
    }
    return json_response(problem, 404, "application/problem+json")


class FakeArr:
    """An *arr app on loopback; subclasses answer ``route``."""

    def __init__(self, httpserver: Any, api_key: str) -> None:
        self.api_key = api_key
        self.fail_next = 0
        """Answer this many of the next requests with 500."""
        self.requests: list[str] = []
        self.base_url = httpserver.url_for("/").rstrip("/")
        httpserver.expect_request(re.compile(r"^/api/v3/.*")).respond_with_handler(self._handle)

    def route(self, path: str, request: Request) -> Response | None:
        """The answer to ``GET /api/v3{path}``, or None for an unknown route."""
        raise NotImplementedError

    def _handle(self, request: Request) -> Response:
        self.requests.append(f"{request.method} {request.full_path.rstrip('?')}")
        if request.headers.get("X-Api-Key") != self.api_key:
            from werkzeug import Response

            return Response(status=401)
        if self.fail_next > 0:
            self.fail_next -= 1
            return json_response({"message": "database is locked", "description": "..."}, 500)
        path = request.path.removeprefix("/api/v3")
        answer = self.route(path, request)
        return answer or json_response({"message": f"no route {path}"}, 404)


class Served(ServedBase):
    """:class:`riverhost.http.testing.Served` with a replay of webhook bodies."""

    def replay(
        self, path: str, bodies: dict[str, Any], headers: dict[str, str]
    ) -> tuple[dict[str, httpx.Response], dict[str, Any]]:
        """POST each body to ``path``; return the answers and, once worked, the jobs inserted
        (by the bodies' names)."""
        answers = {
            name: httpx.post(self.url + path, json=body, headers=headers)
            for name, body in bodies.items()
        }
        ids = {name: a.json()["job_id"] for name, a in answers.items() if a.json().get("job_id")}
        return answers, dict(zip(ids, self.finished(list(ids.values())), strict=True))


def forget_jobs(url: str) -> None:
    """Delete every job: a sync is unique by args for 5m, and a test may run it twice."""
    with psycopg.connect(url) as conn:
        conn.execute("DELETE FROM river_job")


def trigger_sync(plugins: list[tuple[str, object]], database_url: str, app: str) -> Any:
    """POST the admin trigger ``/api/v1/admin/integrations/{app}/sync`` without a token, then
    twice with one; return the three answers."""
    from riverhost.config import load_config
    from riverhost.registry import registry_from_objects

    config = load_config(environ={"RIVERHOST_HTTP__TOKENS__OPS": "tok"})
    registry = registry_from_objects(*plugins, config=config)
    path = f"/api/v1/admin/integrations/{app}/sync"
    token = {"Authorization": "Bearer tok"}
    with Served(registry, database_url) as running:
        without = httpx.post(running.url + path)
        first = httpx.post(running.url + path, headers=token)
        again = httpx.post(running.url + path, headers=token)
    return without, first, again


def post_without_secret(
    plugins: list[tuple[str, object]],
    settings: dict[str, dict[str, Any]],
    database_url: str,
    app: str,
    body: dict[str, Any],
) -> httpx.Response:
    """POST ``body`` to the app's webhook route with ``webhook_secret`` not set."""
    from riverhost.registry import registry_from_objects

    section = {k: v for k, v in settings[app].items() if k != "webhook_secret"}
    registry = registry_from_objects(*plugins, settings={**settings, app: section})
    with Served(registry, database_url) as running:
        return httpx.post(running.url + f"/api/v1/webhooks/{app}", json=body)
