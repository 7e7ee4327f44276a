"""The radarr plugin's hooks: settings, the Radarr client, kinds, the periodic sync, the
webhook route and the admin trigger (their common shape is :mod:`riverhost_media.arr`'s).

Heavy modules (the workers, httpx) are imported inside the hooks, so ``riverhost plugins
list`` and a host that disables this plugin never pay for them. The movie tables belong to the
movie plugin (``riverhost-movie``, a dependency): its migrations create them.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from pydantic import BaseModel

from riverhost import AdminAction, JobKind, PeriodicJob, WebhookRoute, hookimpl
from riverhost_radarr.settings import RadarrSettings

if TYPE_CHECKING:
    from riverhost_radarr.jobs import RadarrResources


@hookimpl
def riverhost_settings_model() -> type[BaseModel]:
    return RadarrSettings


@hookimpl
def riverhost_job_kinds(settings: RadarrSettings) -> list[JobKind]:
    from riverhost_media.arr import arr_job_kinds
    from riverhost_radarr import jobs

    return arr_job_kinds(
        "Radarr",
        "movie",
        sync=(jobs.RadarrSyncArgs, jobs.radarr_sync),
        webhook=(jobs.RadarrWebhookArgs, jobs.radarr_webhook),
    )


@hookimpl
def riverhost_periodic_jobs(settings: RadarrSettings) -> list[PeriodicJob]:
    from riverhost_media.arr import arr_periodic_jobs
    from riverhost_radarr.jobs import RadarrSyncArgs

    return arr_periodic_jobs(settings, RadarrSyncArgs(operation="full"))


@hookimpl
def riverhost_resources(
    settings: RadarrSettings,
) -> contextlib.AbstractAsyncContextManager[RadarrResources]:
    from riverhost_media.arr import arr_resources
    from riverhost_radarr.client import RadarrClient

    return arr_resources(settings, RadarrClient)


@hookimpl
def riverhost_webhook_routes(settings: RadarrSettings) -> list[WebhookRoute]:
    from riverhost_media.arr import arr_webhook_routes
    from riverhost_radarr.events import RadarrWebhookBody
    from riverhost_radarr.jobs import RadarrWebhookArgs

    return arr_webhook_routes(settings, "radarr", RadarrWebhookBody, RadarrWebhookArgs)


@hookimpl
def riverhost_admin_routes(settings: RadarrSettings) -> list[AdminAction]:
    from riverhost_media.arr import arr_admin_routes
    from riverhost_radarr.jobs import RadarrSyncArgs

    return arr_admin_routes("radarr", lambda: RadarrSyncArgs(operation="full"))
