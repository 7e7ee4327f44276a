"""Fixtures of the TV plugin's tests: riverhost's, plus a TMDb on loopback with TV shows."""

from __future__ import annotations

import pytest

from riverhost_media.testing import FakeTmdb

pytest_plugins = ["riverhost.testing"]


@pytest.fixture
def tmdb(httpserver):
    """A TMDb-shaped server on loopback with the default series."""
    return FakeTmdb(httpserver)
