"""Throwaway plugin for riverhost's discovery tests."""

from __future__ import annotations

from rh_test_support import log_import

log_import(__name__)


import riverhost_delta_missing_dependency  # noqa: F401
