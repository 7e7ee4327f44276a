"""Throwaway plugin for riverhost's discovery tests."""

from __future__ import annotations

import contextlib
import json
import os

from pydantic import BaseModel
from rh_test_support import ScanArgs, log_import, scan

from riverhost import (
    AdminAction,
    JobKind,
    Migration,
    PeriodicJob,
    QueueSpec,
    RawArgs,
    WebhookRoute,
    hookimpl,
)

log_import(__name__)

EVERY = os.environ.get("RH_TEST_ALPHA_EVERY", "1h")


class Settings(BaseModel):
    root: str = "/srv/media"
    depth: int = 3


@hookimpl
def riverhost_settings_model():
    return Settings


@hookimpl
def riverhost_queues(settings):
    return [QueueSpec(name="alpha_io", max_workers=4)]


@hookimpl
def riverhost_job_kinds(settings):
    return [
        JobKind(kind="alpha_scan", args=ScanArgs, worker=scan, queue="bulk", timeout="30m"),
        JobKind(kind="alpha_fetch", args=ScanArgs, worker=scan, queue="alpha_io", max_attempts=5),
    ]


@hookimpl
def riverhost_migrations():
    return [
        Migration(
            version=1,
            name="create_alpha_items",
            sql="CREATE TABLE alpha_item (id bigint PRIMARY KEY)",
        )
    ]


@hookimpl
def riverhost_periodic_jobs(settings):
    return [PeriodicJob(id="alpha_rescan", args=RawArgs("alpha_scan", {"path": "/"}), every=EVERY)]


@hookimpl
def riverhost_event(event):
    """Append every event to $RH_TEST_ALPHA_EVENTS, one JSON line each."""
    with open(os.environ.get("RH_TEST_ALPHA_EVENTS", os.devnull), "a") as out:
        out.write(json.dumps({"kind": event.kind, "job_id": event.job_id}) + "\n")


@hookimpl
def riverhost_resources(settings):
    """Append ``enter`` and ``exit`` to $RH_TEST_ALPHA_RESOURCES as the host opens and closes."""

    @contextlib.contextmanager
    def resources():
        with open(os.environ.get("RH_TEST_ALPHA_RESOURCES", os.devnull), "a") as out:
            out.write(f"enter {settings.root}\n")
        try:
            yield {"root": settings.root}
        finally:
            with open(os.environ.get("RH_TEST_ALPHA_RESOURCES", os.devnull), "a") as out:
                out.write("exit\n")

    return resources()


class AlphaEvent(BaseModel):
    path: str


@hookimpl
def riverhost_webhook_routes(settings):
    """POST /api/v1/webhooks/alpha with secret 'alpha-secret' inserts an alpha_scan job."""

    async def intake(payload, ctx):
        return ScanArgs(path=payload.path)

    return [WebhookRoute(path="alpha", payload=AlphaEvent, handler=intake, secret="alpha-secret")]


@hookimpl
def riverhost_admin_routes(settings):
    """POST /api/v1/admin/integrations/alpha/scan inserts an alpha_scan job."""

    async def scan(ctx):
        return ScanArgs(path="/")

    return [AdminAction(path="alpha/scan", handler=scan)]
