"""pytest fixtures of the media plugins' tests, on loopback: ``tmdb`` (a TMDb with the default
movies and series) and ``typesense``. A plugin's ``conftest.py`` names this module in its
``pytest_plugins``, after ``riverhost.testing``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from riverhost_media.testing import FakeTmdb, FakeTypesense

if TYPE_CHECKING:
    from pytest_httpserver import HTTPServer

__all__ = ["tmdb", "typesense"]


@pytest.fixture
def tmdb(httpserver: HTTPServer) -> FakeTmdb:
    """A TMDb-shaped server on loopback with the default movies and series."""
    return FakeTmdb(httpserver)


@pytest.fixture
def typesense(httpserver: HTTPServer) -> FakeTypesense:
    """A Typesense-shaped server on loopback (same server as the TMDb fake, other paths)."""
    return FakeTypesense(httpserver)
