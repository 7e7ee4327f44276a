"""A plugin receiving webhooks: ``POST /api/v1/webhooks/acme`` with the secret ``s3cret``
inserts a ``hook_event`` job per event, except ``Test`` events, which insert nothing; and
offering an admin action: ``POST /api/v1/admin/integrations/acme/sync`` inserts a unique
``hook_event`` job."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, SecretStr

from riverhost import (
    AdminAction,
    InsertOpts,
    JobArgs,
    JobKind,
    UniqueOpts,
    WebhookContext,
    WebhookRoute,
    hookimpl,
)

SECRET = "s3cret"


class AcmeEvent(BaseModel):
    """Shaped like a third party's body: unknown fields are ignored, not refused."""

    model_config = ConfigDict(extra="ignore")

    eventType: str
    title: str
    year: int | None = None


class HookArgs(JobArgs):
    kind: ClassVar[str] = "hook_event"

    event_type: str
    title: str


async def intake(payload: AcmeEvent, ctx: WebhookContext) -> HookArgs | None:
    assert ctx.plugin == "webhooks"
    if payload.eventType == "Test":
        return None
    return HookArgs(event_type=payload.eventType, title=payload.title)


async def work(job) -> None:
    return None


@hookimpl
def riverhost_job_kinds():
    return [JobKind(kind="hook_event", args=HookArgs, worker=work)]


@hookimpl
def riverhost_webhook_routes():
    return [
        WebhookRoute(
            path="acme",
            payload=AcmeEvent,
            handler=intake,
            secret=SecretStr(SECRET),
            summary="Acme's events",
        )
    ]


async def sync(ctx: WebhookContext) -> tuple[HookArgs, InsertOpts]:
    assert ctx.plugin == "webhooks"
    return HookArgs(event_type="sync", title="all"), InsertOpts(unique=UniqueOpts(by_args=True))


@hookimpl
def riverhost_admin_routes():
    return [AdminAction(path="acme/sync", handler=sync, summary="Sync Acme")]


class Claimant:
    """Another plugin claiming the same path."""

    @hookimpl
    def riverhost_webhook_routes(self):
        return [WebhookRoute(path="acme", payload=AcmeEvent, handler=intake, secret=None)]

    @hookimpl
    def riverhost_admin_routes(self):
        return [AdminAction(path="acme/sync", handler=sync)]
