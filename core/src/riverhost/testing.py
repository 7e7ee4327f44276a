"""pytest fixtures for riverhost and for plugin authors.

Enable them in a ``conftest.py`` with ``pytest_plugins = ["riverhost.testing"]``. They give:

- ``riverhost_server``: a PostgreSQL server for the session. The embedded one always; with
  ``RIVERHOST_TEST_DATABASE_URL`` set, that server too (tests that use a database run once on
  each).
- ``database_url``: a fresh database per test with River's schema, cloned from a template
  database migrated once per session, so it costs a ``CREATE DATABASE`` and nothing more.
- ``empty_database_url``: a fresh database per test with no schema at all.
- ``plugin_host``: a host built from plugin objects you pass, with no entry points involved.
- ``fake_entry_points``: entry points for discovery tests without installing anything.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

__all__ = [
    "TEST_DATABASE_URL_ENV",
    "TestServer",
    "command_environment",
    "create_database",
    "drop_database",
]

TEST_DATABASE_URL_ENV = "RIVERHOST_TEST_DATABASE_URL"


@dataclass(frozen=True)
class TestServer:
    """A PostgreSQL server the tests may create and drop databases on."""

    __test__ = False  # not a test class, despite the name

    name: str
    url: str

    def url_for(self, dbname: str) -> str:
        """The URL of database ``dbname`` on this server."""
        return make_conninfo(self.url, dbname=dbname)


def create_database(server: TestServer, *, template: str | None = None) -> str:
    """Create a uniquely named database (a copy of ``template`` if given); return its name."""
    name = f"riverhost_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.url, autocommit=True) as conn:
        statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template or "template0")
        )
        if conn.info.server_version >= 150000:
            # A file copy beats WAL-logging every page for small, short-lived test databases.
            statement += sql.SQL(" STRATEGY FILE_COPY")
        conn.execute(statement)
    return name


def drop_database(server: TestServer, name: str) -> None:
    """Drop database ``name``, disconnecting whoever still uses it."""
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def command_environment(*paths: str | os.PathLike[str], **extra: str) -> dict[str, str]:
    """The environment for running ``riverhost`` in a test, free of the caller's settings.

    Every ``RIVERHOST_*`` and ``RIVER_*`` variable is dropped, ``paths`` become ``PYTHONPATH``
    and ``extra`` is added last.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RIVERHOST_", "RIVER_"))}
    env["PYTHONPATH"] = os.pathsep.join(map(str, paths))
    env.update(extra)
    return env


def _server_names() -> list[str]:
    return ["embedded", "external"] if os.environ.get(TEST_DATABASE_URL_ENV) else ["embedded"]


@pytest.fixture(scope="session", params=_server_names())
def riverhost_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestServer]:
    """Each PostgreSQL server the tests run against, for the whole session."""
    if request.param == "external":
        yield TestServer("external", os.environ[TEST_DATABASE_URL_ENV])
        return
    from riverhost.db.embedded import EmbeddedPostgres

    with EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data", delete=True) as url:
        yield TestServer("embedded", url)


@pytest.fixture(scope="session")
def riverhost_template(riverhost_server: TestServer) -> Iterator[str]:
    """A database with River's schema, migrated once and cloned by ``database_url``."""
    from riverhost.db.migrate import migrate

    name = create_database(riverhost_server)
    migrate(riverhost_server.url_for(name))
    yield name
    drop_database(riverhost_server, name)


@pytest.fixture
def database_url(riverhost_server: TestServer, riverhost_template: str) -> Iterator[str]:
    """A new database with River's schema, for this test alone."""
    name = create_database(riverhost_server, template=riverhost_template)
    yield riverhost_server.url_for(name)
    drop_database(riverhost_server, name)


@pytest.fixture
def empty_database_url(riverhost_server: TestServer) -> Iterator[str]:
    """A new database with nothing in it, for this test alone."""
    name = create_database(riverhost_server)
    yield riverhost_server.url_for(name)
    drop_database(riverhost_server, name)


# Plugin fixtures follow; they need the plugin machinery, imported lazily so that a plugin
# author's database-only tests do not pay for it.


@pytest.fixture
def plugin_host() -> Callable[..., object]:
    """Build a host from plugin objects only: ``plugin_host(my_plugin_module, name="movie")``."""
    from riverhost.registry import host_from_objects

    return host_from_objects


@pytest.fixture
def fake_entry_points(monkeypatch: pytest.MonkeyPatch) -> Callable[[Sequence[object]], None]:
    """Make discovery see exactly the given :class:`riverhost.plugins.FakeEntryPoint` objects."""
    from riverhost import plugins

    def install(entry_points: Sequence[object]) -> None:
        monkeypatch.setattr(plugins, "_installed_entry_points", lambda: list(entry_points))

    return install
