"""Throwaway plugin for riverhost's discovery tests."""

from __future__ import annotations

from rh_test_support import log_import

from riverhost import hookimpl

log_import(__name__)


@hookimpl
def riverhost_job_kinds(settings):
    return {"kind": "theta_wrong"}


@hookimpl
def riverhost_queus(settings):
    return []
