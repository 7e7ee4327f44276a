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


@hookimpl(optionalhook=True)
def riverhost_zeta_targets():
    return ["eta_items"]


@hookimpl
def riverhost_job_kinds(settings):
    from rh_test_zeta.plugin import ScanArgs as ZetaArgs  # a plugin depending on another

    return [JobKind(kind="eta_index", args=ZetaArgs, worker=scan)]
