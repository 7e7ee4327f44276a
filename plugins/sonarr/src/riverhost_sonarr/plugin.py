"""The sonarr plugin's hooks: settings, the Sonarr client, kinds, the periodic sync, the
webhook route and the admin trigger (their common shape is :mod:`riverhost_media.arr`'s).

Heavy modules (the workers, httpx) are imported inside the hooks, so ``riverhost plugins
list`` and a host that disables this plugin never pay for them. The TV tables belong to the
tvshow plugin (``riverhost-tvshow``, a dependency): its migrations create them.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from pydantic import BaseModel

from riverhost import AdminAction, JobKind, PeriodicJob, WebhookRoute, hookimpl
from riverhost_sonarr.settings import SonarrSettings

if TYPE_CHECKING:
    from riverhost_sonarr.jobs import SonarrResources


@hookimpl
def riverhost_settings_model() -> type[BaseModel]:
    return SonarrSettings


@hookimpl
def riverhost_job_kinds(settings: SonarrSettings) -> list[JobKind]:
    from riverhost_media.arr import arr_job_kinds
    from riverhost_sonarr import jobs

    return arr_job_kinds(
        "Sonarr",
        "series",
        sync=(jobs.SonarrSyncArgs, jobs.sonarr_sync),
        webhook=(jobs.SonarrWebhookArgs, jobs.sonarr_webhook),
    )


@hookimpl
def riverhost_periodic_jobs(settings: SonarrSettings) -> list[PeriodicJob]:
    from riverhost_media.arr import arr_periodic_jobs
    from riverhost_sonarr.jobs import SonarrSyncArgs

    return arr_periodic_jobs(settings, SonarrSyncArgs(operation="full"))


@hookimpl
def riverhost_resources(
    settings: SonarrSettings,
) -> contextlib.AbstractAsyncContextManager[SonarrResources]:
    from riverhost_media.arr import arr_resources
    from riverhost_sonarr.client import SonarrClient

    return arr_resources(settings, SonarrClient)


@hookimpl
def riverhost_webhook_routes(settings: SonarrSettings) -> list[WebhookRoute]:
    from riverhost_media.arr import arr_webhook_routes
    from riverhost_sonarr.events import SonarrWebhookBody
    from riverhost_sonarr.jobs import SonarrWebhookArgs

    return arr_webhook_routes(settings, "sonarr", SonarrWebhookBody, SonarrWebhookArgs)


@hookimpl
def riverhost_admin_routes(settings: SonarrSettings) -> list[AdminAction]:
    from riverhost_media.arr import arr_admin_routes
    from riverhost_sonarr.jobs import SonarrSyncArgs

    return arr_admin_routes("sonarr", lambda: SonarrSyncArgs(operation="full"))
