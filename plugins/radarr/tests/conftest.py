"""Fixtures of the radarr plugin's tests: riverhost's, plus a Radarr on loopback."""

from __future__ import annotations

import pytest
from fake_radarr import FakeRadarr

pytest_plugins = ["riverhost.testing"]


@pytest.fixture
def radarr(httpserver):
    """A Radarr-shaped server on loopback holding a small library."""
    return FakeRadarr(httpserver)
