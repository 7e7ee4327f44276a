"""Fixtures of the TV plugin's tests: riverhost's, plus a TMDb on loopback with TV shows."""

from __future__ import annotations

import pytest

from riverhost_media.testing import FakeTmdb, FakeTypesense

pytest_plugins = ["riverhost.testing"]


@pytest.fixture
def tmdb(httpserver):
    """A TMDb-shaped server on loopback with the default series."""
    return FakeTmdb(httpserver)


@pytest.fixture
def typesense(httpserver):
    """A Typesense-shaped server on loopback (same server as the TMDb fake, other paths)."""
    return FakeTypesense(httpserver)
