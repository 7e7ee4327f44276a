"""Throwaway plugin for riverhost's discovery tests."""

from __future__ import annotations

import pluggy
from pydantic import BaseModel
from rh_test_support import ScanArgs, log_import, scan

from riverhost import JobKind, hookimpl

log_import(__name__)

from rh_test_zeta import spec


@hookimpl
def riverhost_add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    pluginmanager.add_hookspecs(spec)


class TargetArgs(BaseModel):
    table: str


@hookimpl
def riverhost_job_kinds(settings):
    return [JobKind(kind="zeta_cleanup", args=ScanArgs, worker=scan, queue="low")]
