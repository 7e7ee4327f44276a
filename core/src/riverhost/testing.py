"""pytest fixtures for riverhost and for plugin authors.

Enable them in a ``conftest.py`` with ``pytest_plugins = ["riverhost.testing"]``. They give:

- ``riverhost_server``: a PostgreSQL server for the session. The embedded one always; with
  ``RIVERHOST_TEST_DATABASE_URL`` set, that server too (tests that use a database run once on
  each).
- ``database_url``: a fresh database per test with River's schema, cloned from a template
  database migrated once per session, so it costs a ``CREATE DATABASE`` and nothing more.
- ``empty_database_url``: a fresh database per test with no schema at all.
- ``plugin_registry``: a registry built from plugin objects you pass (and their settings),
  with no entry points involved.
- ``run_job``: works one job of your plugin end to end, on the real engine and a fresh
  database, and returns the :class:`JobRun` (state, output, errors, progress, follow-up jobs).
- ``fake_entry_points``: entry points for discovery tests without installing anything.

And helpers for engine tests: :func:`running_host` runs a host in the test's event loop,
:func:`wait_for_jobs` waits, with a deadline, until jobs reach the states asked for, and
:func:`work_one_job` is what the ``run_job`` fixture calls.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

if TYPE_CHECKING:
    from riverhost.args import InsertOpts, JobArgs, RawArgs
    from riverhost.client import AsyncClient
    from riverhost.engine.host import Host
    from riverhost.job import Job, JobProgress
    from riverhost.kinds import JobState
    from riverhost.registry import Registry

__all__ = [
    "TEST_DATABASE_URL_ENV",
    "JobRun",
    "TestServer",
    "command_environment",
    "create_database",
    "drop_database",
    "running_host",
    "wait_for_jobs",
    "work_one_job",
]

FINAL_STATES = frozenset({"completed", "cancelled", "discarded"})

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
def plugin_registry() -> Callable[..., Registry]:
    """Build a registry from plugin objects only, no entry points:
    ``plugin_registry(my_plugin_module, ("other", obj), settings={"my_plugin": {...}})``."""
    from riverhost.registry import registry_from_objects

    return registry_from_objects


class RunJob(Protocol):
    """The ``run_job`` fixture: ``await run_job(plugins, args, settings=..., opts=...)``."""

    async def __call__(
        self,
        plugins: object | Sequence[object],
        args: JobArgs | RawArgs,
        *,
        settings: Mapping[str, Mapping[str, object]] | None = None,
        opts: InsertOpts | None = None,
        timeout: float = 30.0,
    ) -> JobRun: ...


@pytest.fixture(name="run_job")
def run_job_fixture(database_url: str) -> RunJob:
    """Work one job of your plugin on the real engine, in this test's fresh database.

    ``plugins`` is your plugin module, a ``(name, module)`` pair (a bare module is named by
    its last dotted part: ``riverhost_foo.plugin`` is ``plugin``), or a list of them;
    ``settings`` the plugins' config sections by name; the plugins' migrations are run first.
    Returns the :class:`JobRun` once the job's first attempt has ended::

        async def test_sync_stores_items(run_job):
            run = await run_job(("foo", plugin), SyncArgs(account_id=7), settings={"foo": {...}})
            assert run.state == "completed"
            assert run.output == {"stored": 3}
    """
    from riverhost.registry import registry_from_objects

    async def run(
        plugins: object | Sequence[object],
        args: JobArgs | RawArgs,
        *,
        settings: Mapping[str, Mapping[str, object]] | None = None,
        opts: InsertOpts | None = None,
        timeout: float = 30.0,
    ) -> JobRun:
        listed = _plugin_list(plugins)
        registry = registry_from_objects(*listed, settings=settings)
        return await work_one_job(registry, database_url, args, opts=opts, timeout=timeout)

    return run


def _plugin_list(plugins: object | Sequence[object]) -> list[object]:
    # One (name, object) pair is one plugin, not two: run_job(("foo", plugin), ...).
    if isinstance(plugins, tuple) and len(plugins) == 2 and isinstance(plugins[0], str):
        return [plugins]
    return list(plugins) if isinstance(plugins, list | tuple) else [plugins]


@pytest.fixture
def fake_entry_points(monkeypatch: pytest.MonkeyPatch) -> Callable[[Sequence[object]], None]:
    """Make discovery see exactly the given :class:`riverhost.plugins.FakeEntryPoint` objects."""
    from riverhost import plugins

    def install(entry_points: Sequence[object]) -> None:
        monkeypatch.setattr(plugins, "_installed_entry_points", lambda: list(entry_points))

    return install


# Engine helpers: no sleeping, only waiting on a condition with a deadline.


@asynccontextmanager
async def running_host(registry: Registry, url: str, **options: Any) -> AsyncIterator[Host]:
    """Run a host in this event loop; on exit stop it (softly) and wait until it has stopped."""
    from riverhost.engine.host import Host

    host = Host(registry, url, **options)
    task = asyncio.create_task(host.run())
    ready = asyncio.create_task(host.ready.wait())
    await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        ready.cancel()
        task.result()  # the host failed to start: raise its error here
    try:
        yield host
    finally:
        host.stop()
        await task


async def wait_for_jobs(
    client: AsyncClient,
    ids: Sequence[int],
    states: Collection[JobState | str] = FINAL_STATES,
    *,
    timeout: float = 30.0,
) -> list[Job[dict[str, Any]]]:
    """Wait until every job in ``ids`` is in one of ``states``; return them in ``ids`` order.

    Raises :class:`AssertionError` listing the jobs still elsewhere when ``timeout`` passes.
    """
    from riverhost.client import JobFilter

    wanted = [str(state) for state in states]
    deadline = time.monotonic() + timeout
    waiting = (
        "SELECT count(*) FILTER (WHERE state::text <> ALL(%(wanted)s)), count(*) "
        "FROM river_job WHERE id = ANY(%(ids)s)"
    )
    while True:
        async with client.pool.connection() as conn:
            cursor = await conn.execute(waiting, {"wanted": wanted, "ids": list(ids)})
            elsewhere, found = await cursor.fetchone() or (0, 0)
        if elsewhere == 0 and found == len(set(ids)):
            break
        if time.monotonic() > deadline:
            page = await client.list(JobFilter(ids=list(ids), limit=len(ids)))
            late = {job.id: str(job.state) for job in page.jobs if job.state not in wanted}
            missing = sorted(set(ids) - {job.id for job in page.jobs})
            raise AssertionError(
                f"after {timeout}s, jobs not in {sorted(wanted)}: {late!r:.500}; "
                f"missing: {missing!r:.200}"
            )
        await asyncio.sleep(0.02)
    jobs: dict[int, Job[dict[str, Any]]] = {}
    for start in range(0, len(ids), 10_000):
        chunk = list(ids[start : start + 10_000])
        page = await client.list(JobFilter(ids=chunk, limit=len(chunk)))
        jobs.update((job.id, job) for job in page.jobs)
    return [jobs[job_id] for job_id in ids]


@dataclass(frozen=True)
class JobRun:
    """One job after its first attempt, as :func:`work_one_job` (the ``run_job`` fixture)
    returns it."""

    job: Job[dict[str, Any]]
    """The job's row as it is now."""
    event: str
    """How the attempt ended: ``job_completed``, ``job_failed``, ``job_cancelled``,
    ``job_snoozed`` or ``job_discarded``."""
    followups: list[Job[dict[str, Any]]]
    """Jobs inserted while it ran (by its worker, or anything else), oldest first."""

    @property
    def state(self) -> str:
        return str(self.job.state)

    @property
    def output(self) -> Any:
        """What the worker returned or recorded (``metadata.output``)."""
        return self.job.output

    @property
    def errors(self) -> list[str]:
        """Each failed attempt's error message."""
        return [error.error for error in self.job.errors]

    @property
    def progress(self) -> JobProgress | None:
        """The last progress the worker reported."""
        return self.job.progress


async def work_one_job(
    registry: Registry,
    url: str,
    args: JobArgs | RawArgs,
    *,
    opts: InsertOpts | None = None,
    timeout: float = 30.0,
) -> JobRun:
    """Migrate the plugins' tables, insert ``args``, run a host until the job's first attempt
    has ended, and return the :class:`JobRun`. Raises :class:`AssertionError` after
    ``timeout`` seconds."""
    from riverhost.client import AsyncClient, JobFilter
    from riverhost.db.migrate import migrate

    await asyncio.to_thread(migrate, url, lines=list(registry.migrations.values()))
    async with await AsyncClient.connect(url, registry=registry, max_size=2) as client:
        async with running_host(registry, url) as host:
            ended = host.events.subscribe(
                ["job_completed", "job_failed", "job_cancelled", "job_snoozed", "job_discarded"]
            )
            inserted = await client.insert(args, opts)
            job_id = inserted.job.id
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                try:
                    event = await ended.get(timeout=max(left, 0.0))
                except TimeoutError:
                    job = await client.get(job_id)
                    raise AssertionError(
                        f"job {job_id} ({inserted.job.kind}) did not end an attempt within "
                        f"{timeout}s; it is {job.state}"
                    ) from None
                if event.job_id == job_id:
                    break
        job = await client.get(job_id)
        later = await client.list(JobFilter(limit=1000, newest_first=False))
        followups = [each for each in later.jobs if each.id > job_id]
    return JobRun(job=job, event=event.kind, followups=followups)
