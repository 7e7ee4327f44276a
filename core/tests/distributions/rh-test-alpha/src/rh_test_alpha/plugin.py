"""Throwaway plugin for riverhost's discovery tests."""

from __future__ import annotations

from pydantic import BaseModel
from rh_test_support import ScanArgs, log_import, scan

from riverhost import JobKind, Migration, QueueSpec, hookimpl

log_import(__name__)


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
