"""Throwaway plugin for riverhost's discovery tests."""

from __future__ import annotations

from rh_test_support import ScanArgs, log_import, scan

from riverhost import JobKind, hookimpl

log_import(__name__)


@hookimpl
def riverhost_job_kinds(settings):
    return [JobKind(kind="alpha_scan", args=ScanArgs, worker=scan)]
