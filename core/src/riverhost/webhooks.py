"""What a plugin declares to receive webhooks: a route, its payload model, its secret, and what
to do with a valid payload (usually: insert a job of the plugin's kind); and what a plugin
declares for operators to trigger through the admin API (:class:`AdminAction`).

Plugins return :class:`WebhookRoute` objects from the ``riverhost_webhook_routes`` hook; the
HTTP server (:mod:`riverhost.http`) mounts each at ``/api/v1/webhooks/<path>``, checks the
``X-Webhook-Secret`` header in constant time, validates the body against ``payload`` (a 422
naming the field otherwise), and calls ``handler`` with the payload and a
:class:`WebhookContext` inside one database transaction: whatever the handler writes and the
job it returns commit together, and the answer is ``202 {"job_id": ...}``. Plugins declare
routes without importing the web framework.

Plugins return :class:`AdminAction` objects from the ``riverhost_admin_routes`` hook; each is
``POST /api/v1/admin/integrations/<path>`` behind the admin token, with no body: its handler
returns the job to insert (in the request's transaction), recorded as the token's action, and
the answer is ``202 {"job_id": ..., "duplicate": ...}`` (an existing job when the job's unique
options find one).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import psycopg
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from riverhost.args import InsertOpts, JobArgs, RawArgs

if TYPE_CHECKING:
    from riverhost.client import AsyncClient

__all__ = [
    "ADMIN_ACTION_PREFIX",
    "WEBHOOK_PREFIX",
    "AdminAction",
    "AdminHandler",
    "WebhookContext",
    "WebhookHandler",
    "WebhookJob",
    "WebhookRoute",
]

WEBHOOK_PREFIX = "/api/v1/webhooks"
"""Where every plugin's webhook routes live."""

ADMIN_ACTION_PREFIX = "/api/v1/admin/integrations"
"""Where every plugin's admin actions live."""

_PATH = re.compile(r"^[a-z0-9][a-z0-9_\-]*(/[a-z0-9][a-z0-9_\-]*)*$")


@dataclass(frozen=True)
class WebhookContext:
    """What a webhook handler reaches: its plugin's settings, a connection in the request's
    transaction, and the insert client (pass ``conn=`` to insert within that transaction)."""

    plugin: str
    settings: BaseModel | None
    conn: psycopg.AsyncConnection[Any]
    client: AsyncClient


WebhookJob = JobArgs | RawArgs | tuple[JobArgs | RawArgs, InsertOpts] | None
"""What a webhook handler returns: the job to insert, with or without options, or nothing."""

WebhookHandler = Callable[[Any, WebhookContext], Awaitable[WebhookJob]]
"""``async def handle(payload, ctx)``: returns the job to insert (args, or args and options)
in the request's transaction, or ``None`` to insert nothing (an event the plugin ignores)."""


class WebhookRoute(BaseModel):
    """One webhook route of a plugin. ``secret`` is the value the sender puts in
    ``X-Webhook-Secret`` (``None``: the route takes unauthenticated requests, which only makes
    sense behind a proxy that authenticates)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, extra="forbid")

    path: str = Field(description="under /api/v1/webhooks/, e.g. 'radarr'")
    payload: type[BaseModel]
    handler: WebhookHandler
    secret: SecretStr | None
    method: Literal["POST", "PUT"] = "POST"
    summary: str = ""

    @field_validator("path")
    @classmethod
    def _path_shape(cls, path: str) -> str:
        return _checked_path(path, "webhook path", "'radarr' or 'acme/events'")

    @property
    def url_path(self) -> str:
        return f"{WEBHOOK_PREFIX}/{self.path}"


AdminHandler = Callable[[WebhookContext], Awaitable[WebhookJob]]
"""``async def trigger(ctx)``: returns the job to insert (args, or args and options) in the
request's transaction, or ``None`` to insert nothing."""


class AdminAction(BaseModel):
    """One action of a plugin for operators: ``POST /api/v1/admin/integrations/<path>``."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, extra="forbid")

    path: str = Field(description="under /api/v1/admin/integrations/, e.g. 'radarr/sync'")
    handler: AdminHandler
    summary: str = ""

    @field_validator("path")
    @classmethod
    def _path_shape(cls, path: str) -> str:
        return _checked_path(path, "admin action path", "'radarr/sync'")

    @property
    def url_path(self) -> str:
        return f"{ADMIN_ACTION_PREFIX}/{self.path}"


def _checked_path(path: str, what: str, example: str) -> str:
    path = path.strip("/")
    if not _PATH.match(path):
        raise ValueError(
            f"{what} {path!r} must be lower-case letters, digits, '_' and '-' in "
            f"'/'-separated parts (e.g. {example})"
        )
    return path
