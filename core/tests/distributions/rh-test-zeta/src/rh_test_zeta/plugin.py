"""Throwaway plugin for riverhost's discovery tests."""

from __future__ import annotations

import os

from pydantic import BaseModel

from riverhost import JobKind, hookimpl

with open(os.environ.get("RIVERHOST_TEST_IMPORT_LOG", os.devnull), "a") as _log:
    _log.write(__name__ + "\n")


class ScanArgs(BaseModel):
    path: str


def scan(args: ScanArgs) -> dict[str, int]:
    return {"files": len(os.listdir(args.path))}


import pluggy

from rh_test_zeta import spec


@hookimpl
def riverhost_add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    pluginmanager.add_hookspecs(spec)


@hookimpl
def riverhost_job_kinds(settings):
    return [JobKind(kind="zeta_cleanup", args=ScanArgs, worker=scan, queue="low")]
