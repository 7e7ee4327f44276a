"""The maintenance plugin's hooks: settings, kinds, periodic jobs, migrations, resources, the
hookspecs it adds, and the alert on discarded jobs.

Heavy modules (httpx, aiosmtplib, psycopg's sql) are imported inside the hooks that need them,
so ``riverhost plugins list`` and ``jobs insert`` stay light.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pluggy
from pydantic import BaseModel

from riverhost import (
    AsyncClient,
    Event,
    JobArgs,
    JobKind,
    Migration,
    PeriodicJob,
    UniqueOpts,
    hookimpl,
    migrations_from_package,
)
from riverhost_maintenance.args import (
    ActivityCleanupArgs,
    CleanupArgs,
    LibraryScanCleanupArgs,
    NotificationArgs,
)
from riverhost_maintenance.settings import Settings

DAY = timedelta(hours=24)


@hookimpl
def riverhost_settings_model() -> type[BaseModel]:
    return Settings


@hookimpl
def riverhost_add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    from riverhost_maintenance import spec
    from riverhost_maintenance.resources import state

    state.manager = pluginmanager
    pluginmanager.add_hookspecs(spec)


@hookimpl
def riverhost_migrations() -> Sequence[Migration]:
    return migrations_from_package("riverhost_maintenance")


@hookimpl
def riverhost_job_kinds() -> Sequence[JobKind]:
    from riverhost_maintenance import cleanup, notify

    two_minutes = timedelta(minutes=2)
    return [
        JobKind(
            kind=NotificationArgs.kind,
            args=NotificationArgs,
            worker=notify.notification,
            queue="high",
            timeout=two_minutes,
            max_attempts=5,
            unique=UniqueOpts(by_args=True, by_period=timedelta(hours=1)),
            description="sends one event to the notification agents",
        ),
        JobKind(
            kind=CleanupArgs.kind,
            args=CleanupArgs,
            worker=cleanup.cleanup,
            queue="low",
            timeout=two_minutes,
            max_attempts=5,
            description="deletes old rows of the declared cleanup targets, in batches",
        ),
        JobKind(
            kind=ActivityCleanupArgs.kind,
            args=ActivityCleanupArgs,
            worker=cleanup.activity_cleanup,
            queue="low",
            timeout=two_minutes,
            max_attempts=3,
            description="prunes riverhost_activity past retention_days",
        ),
        JobKind(
            kind=LibraryScanCleanupArgs.kind,
            args=LibraryScanCleanupArgs,
            worker=cleanup.library_scan_cleanup,
            queue="low",
            timeout=two_minutes,
            max_attempts=3,
            description="prunes finished scan records of the plugins declaring them",
        ),
    ]


@hookimpl
def riverhost_periodic_jobs(settings: Settings) -> Sequence[PeriodicJob]:
    defaults: list[tuple[str, JobArgs, bool]] = [
        ("auth_cleanup_daily", CleanupArgs(target_type="all"), True),
        (
            "activity_cleanup_daily",
            ActivityCleanupArgs(retention_days=settings.activity_retention_days),
            False,
        ),
        (
            "library_scan_cleanup_daily",
            LibraryScanCleanupArgs(retention_days=settings.scan_retention_days),
            False,
        ),
    ]
    jobs = []
    for periodic_id, args, run_on_start in defaults:
        override = settings.periodic.get(periodic_id)
        if override is None:
            jobs.append(
                PeriodicJob(id=periodic_id, args=args, every=DAY, run_on_start=run_on_start)
            )
            continue
        if not override.enabled:
            continue
        every = override.every if override.cron is None else None
        jobs.append(
            PeriodicJob(
                id=periodic_id,
                args=type(args).model_validate({**args.to_json(), **override.args}),
                every=every or (None if override.cron else DAY),
                cron=override.cron,
                run_on_start=run_on_start
                if override.run_on_start is None
                else override.run_on_start,
            )
        )
    return jobs


@hookimpl
def riverhost_resources(
    settings: Settings, client: AsyncClient
) -> contextlib.AbstractAsyncContextManager[Any]:
    from riverhost_maintenance.resources import open_resources

    return open_resources(settings, client)


@hookimpl
def riverhost_event(event: Event) -> None:
    """An operator alert for a discarded job, when ``alert_on_discarded.enabled``."""
    from riverhost_maintenance.resources import insert_from_thread, state

    running = state.running
    if running is None or event.kind != "job_discarded":
        return
    alerts = running.settings.alert_on_discarded
    if not alerts.enabled or event.job_kind == NotificationArgs.kind:
        return  # a notification that gave up must not alert about itself, forever
    if alerts.kinds and event.job_kind not in alerts.kinds:
        return
    insert_from_thread(
        NotificationArgs(
            event_id=uuid4(),
            event_type="system.job_discarded",
            timestamp=event.at,
            data={
                "title": f"Job {event.job_id} ({event.job_kind}) was discarded",
                "message": f"after attempt {event.attempt} on queue {event.queue}: {event.error}",
                "job_id": event.job_id,
                "kind": event.job_kind,
                "queue": event.queue,
                "attempt": event.attempt,
                "error": event.error,
            },
            agent_names=alerts.agent_names,
        )
    )
