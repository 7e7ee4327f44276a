"""The radarr plugin's hooks: settings, the Radarr client, kinds, the periodic sync, the
webhook route and the admin trigger.

Heavy modules (the workers, httpx) are imported inside the hooks, so ``riverhost plugins
list`` and a host that disables this plugin never pay for them. The movie tables belong to the
movie plugin (``riverhost-movie``, a dependency): its migrations create them.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel

from riverhost import (
    AdminAction,
    JobKind,
    PeriodicJob,
    UniqueOpts,
    WebhookContext,
    WebhookRoute,
    hookimpl,
)
from riverhost_radarr.settings import RadarrSettings

if TYPE_CHECKING:
    from riverhost_radarr.events import RadarrWebhookBody
    from riverhost_radarr.jobs import RadarrResources, RadarrSyncArgs, RadarrWebhookArgs


@hookimpl
def riverhost_settings_model() -> type[BaseModel]:
    return RadarrSettings


@hookimpl
def riverhost_job_kinds(settings: RadarrSettings) -> list[JobKind]:
    from riverhost_radarr import jobs

    return [
        JobKind(
            kind=jobs.RadarrSyncArgs.kind,
            args=jobs.RadarrSyncArgs,
            worker=jobs.radarr_sync,
            queue="high",
            timeout=timedelta(minutes=10),
            max_attempts=5,
            unique=UniqueOpts(by_args=True, by_period=timedelta(minutes=5)),
            description="sync Radarr's library (full) or one movie (single) into the movie tables",
        ),
        JobKind(
            kind=jobs.RadarrWebhookArgs.kind,
            args=jobs.RadarrWebhookArgs,
            worker=jobs.radarr_webhook,
            queue="high",
            timeout=timedelta(minutes=1),
            max_attempts=5,
            description="work one Radarr webhook event",
        ),
    ]


@hookimpl
def riverhost_periodic_jobs(settings: RadarrSettings) -> list[PeriodicJob]:
    from riverhost_radarr.jobs import RadarrSyncArgs

    if settings.sync_interval is None:
        return []
    return [
        PeriodicJob(
            id="radarr_sync:full",
            args=RadarrSyncArgs(operation="full"),
            every=settings.sync_interval,
        )
    ]


@hookimpl
def riverhost_resources(
    settings: RadarrSettings,
) -> contextlib.AbstractAsyncContextManager[RadarrResources]:
    from riverhost_radarr.client import RadarrClient
    from riverhost_radarr.jobs import RadarrResources

    @contextlib.asynccontextmanager
    async def resources() -> AsyncIterator[RadarrResources]:
        if settings.api_key is None:
            yield RadarrResources(radarr=None)
            return
        async with RadarrClient(
            base_url=settings.base_url,
            api_key=settings.api_key.get_secret_value(),
            requests_per_second=settings.requests_per_second,
            burst=settings.burst,
            max_attempts=settings.max_attempts,
            retry_wait_max=settings.retry_wait_max.total_seconds(),
            timeout=settings.timeout.total_seconds(),
        ) as radarr:
            yield RadarrResources(radarr=radarr)

    return resources()


async def _intake(body: RadarrWebhookBody, ctx: WebhookContext) -> RadarrWebhookArgs | None:
    from riverhost_radarr.jobs import RadarrWebhookArgs

    if body.root.eventType == "Test":
        return None  # the settings page's Test button: 202, nothing to work
    return RadarrWebhookArgs(payload=body.stored())


@hookimpl
def riverhost_webhook_routes(settings: RadarrSettings) -> list[WebhookRoute]:
    from riverhost_radarr.events import RadarrWebhookBody

    if settings.webhook_secret is None:
        return []  # never an open door: no secret, no route
    return [
        WebhookRoute(
            path="radarr",
            payload=RadarrWebhookBody,
            handler=_intake,
            secret=settings.webhook_secret,
            summary="Radarr's webhook (Settings > Connect > Webhook, header X-Webhook-Secret)",
        )
    ]


async def _trigger(ctx: WebhookContext) -> RadarrSyncArgs:
    from riverhost_radarr.jobs import RadarrSyncArgs

    return RadarrSyncArgs(operation="full")  # unique by args: the waiting or running one wins


@hookimpl
def riverhost_admin_routes(settings: RadarrSettings) -> list[AdminAction]:
    return [
        AdminAction(path="radarr/sync", handler=_trigger, summary="Sync the whole Radarr library")
    ]
