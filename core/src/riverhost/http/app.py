"""The FastAPI application: its shared state, its routers, and how errors become answers.

Errors map once, here: a job that does not exist is 404, an operation on a running job that
needs it stopped is 409, a job that cannot be inserted as given is 422, a request body over
``http.max_body`` is 413, a body that does not validate is FastAPI's 422 naming each field.
Nothing a client sends becomes a 500.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from riverhost._version import __version__
from riverhost.client import AsyncClient
from riverhost.errors import InsertError, JobNotFoundError, JobRunningError
from riverhost.http.auth import Auth
from riverhost.http.events import FleetEvents
from riverhost.job import QueueInfo
from riverhost.registry import Registry

__all__ = [
    "QUEUES_TTL",
    "AppState",
    "ErrorAnswer",
    "Recent",
    "create_app",
    "refusals",
    "state_of",
]

T = TypeVar("T")


class Recent(Generic[T]):
    """The last answer of an expensive read, reused for ``ttl`` seconds, one read at a time:
    every open dashboard reloads the queues every 3 s, and counting the waiting jobs no live
    host serves reads every waiting job when no host runs (~150-200 ms on 1,000,000 jobs)."""

    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._value: T | None = None
        self._at = -1e9
        self._lock = asyncio.Lock()

    async def get(self, read: Callable[[], Awaitable[T]]) -> T:
        async with self._lock:
            if self._value is None or time.monotonic() - self._at > self._ttl:
                self._value = await read()
                self._at = time.monotonic()
            return self._value

    def forget(self) -> None:
        """Read afresh next time (this server just changed what it holds)."""
        self._value = None


QUEUES_TTL = 2.0
"""Seconds the queue list is reused between readers of this server."""


@dataclass
class AppState:
    """What every route reaches: the registry, a pool and client on the database, the event
    stream, the token check, and the recent queue list."""

    registry: Registry
    pool: AsyncConnectionPool[Any]
    client: AsyncClient
    events: FleetEvents
    auth: Auth
    queues: Recent[list[QueueInfo]] = field(default_factory=lambda: Recent(QUEUES_TTL))


def state_of(request: Request) -> AppState:
    """The application's :class:`AppState`."""
    state: AppState = request.app.state.riverhost
    return state


def create_app(state: AppState, *, max_body: int = 1024 * 1024) -> FastAPI:
    """The whole application for ``state``: admin API, webhooks, health, dashboard."""
    from riverhost.http import admin, dashboard, health, webhooks

    app = FastAPI(
        title="riverhost",
        version=__version__,
        description=(
            "Admin API of a riverhost host: jobs, queues, plugins, hosts and activity on "
            "River's tables, plus the plugins' webhook routes. Authenticate with "
            "`Authorization: Bearer <token>` (a name in http.tokens)."
        ),
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.riverhost = state
    app.include_router(admin.router)
    app.include_router(admin.actions_router_for(state.registry))
    app.include_router(webhooks.router_for(state.registry))
    app.include_router(health.router)
    app.include_router(dashboard.router)
    dashboard.mount_static(app)
    app.add_exception_handler(JobNotFoundError, _status(404))
    app.add_exception_handler(JobRunningError, _status(409))
    app.add_exception_handler(InsertError, _unprocessable)
    # A value the database refuses (out of range, an invalid character) came from the request.
    app.add_exception_handler(psycopg.DataError, _unprocessable)
    app.add_middleware(_BodyLimit, max_body=max_body)
    return app


class ErrorAnswer(BaseModel):
    """Why a request was refused."""

    detail: str


def refusals(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the refusals a route may answer (422 is FastAPI's own)."""
    said = {
        400: "a body that cannot be read (not UTF-8 JSON)",
        401: "no token (Authorization: Bearer <token>)",
        403: "a token that is not one of the server's",
        404: "no such job",
        409: "the job is running; cancel it first",
        413: "request body over http.max_body",
    }
    return {code: {"model": ErrorAnswer, "description": said[code]} for code in codes}


async def _unprocessable(_request: Request, exc: Exception) -> JSONResponse:
    """A job that cannot be inserted as given, or a value the database refuses: 422 in
    FastAPI's shape, naming the reason."""
    message = str(exc) if isinstance(exc, InsertError) else f"the database refused: {exc}"
    problem = {"loc": ["body"], "msg": message, "type": "value_error"}
    return JSONResponse({"detail": [problem]}, status_code=422)


def _status(code: int) -> Any:
    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=code)

    return handle


class _BodyLimit:
    """Refuses a request body larger than ``max_body`` bytes with 413, whether it says its
    length up front or streams in chunks (read here, at most ``max_body`` of it, then handed
    on whole: admin and webhook bodies are small)."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body:
                await _too_large(self.max_body, send)
                return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_body:
                await _too_large(self.max_body, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        whole: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([whole]), send)


def _replay(messages: list[Message]) -> Receive:
    """A ``receive`` that hands out ``messages``, then reports the client gone."""

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    return receive


async def _too_large(limit: int, send: Send) -> None:
    response = JSONResponse(
        {"detail": f"request body over {limit} bytes (http.max_body)"}, status_code=413
    )
    await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
