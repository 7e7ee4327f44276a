"""Fixtures of the sonarr plugin's tests: riverhost's, plus a Sonarr on loopback."""

from __future__ import annotations

import pytest
from fake_sonarr import FakeSonarr

pytest_plugins = ["riverhost.testing"]


@pytest.fixture
def sonarr(httpserver):
    """A Sonarr-shaped server on loopback holding a small library."""
    return FakeSonarr(httpserver)
