"""Throwaway plugin for riverhost's discovery tests."""

from __future__ import annotations

from rh_test_support import log_import, scan

from riverhost import JobKind, hookimpl

log_import(__name__)


@hookimpl(optionalhook=True)
def riverhost_zeta_targets():
    return ["eta_items"]


@hookimpl
def riverhost_job_kinds(settings):
    from rh_test_zeta.plugin import TargetArgs  # a plugin depending on another

    return [JobKind(kind="eta_index", args=TargetArgs, worker=scan)]
