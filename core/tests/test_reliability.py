"""Failures a host meets in production, caused for real against a real PostgreSQL.

Connections killed from the server side (``pg_terminate_backend``) for the listener, the
fetcher and the completer; a worker that hangs and ignores its stop signal. Each time the host
must recover on its own, lose no job, and leave nothing ``running``. The database restarting
under a host is in ``test_reliability_restart.py``; whole ``riverhost run`` processes (crashing
workers, SIGTERM in a burst) are in ``test_reliability_processes.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import engine_plugin
import psycopg
import pytest
import structlog
from engine_plugin import LongStepArgs, OtherQueueArgs, StepArgs, SyncStepArgs
from prometheus_client import REGISTRY
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from riverhost import AsyncClient, InsertOpts
from riverhost.config import load_config
from riverhost.engine.threads import WorkerThreads
from riverhost.registry import registry_from_objects
from riverhost.testing import running_host, wait_for_jobs

#: How the host's connections show in ``pg_stat_activity`` (its ``application_name``).
POOL_NAME = "riverhost"
LISTENER_NAME = "riverhost-listener"
#: The last statement a pool connection ran, by who ran it (``pg_stat_activity.query``).
FETCHING = "%SET state = 'running'%"
COMPLETING = "%IS NOT DISTINCT FROM u.attempted_at%"
#: Seconds new connections are refused in a simulated restart, and the most a queue with a
#: backlog may take after it to start a job again (the pool's own wait was 30 s).
OUTAGE = 1.0
RECOVERY = 10.0


def make_registry(**env: str) -> Any:
    environ = {
        "RIVERHOST_JOBS__POLL_INTERVAL": "200ms",
        "RIVERHOST_JOBS__SHUTDOWN_TIMEOUT": "2s",
        **env,
    }
    return registry_from_objects(("engine", engine_plugin), config=load_config(environ=environ))


async def until(condition: Any, timeout: float = 15.0, what: str = "condition") -> Any:
    """Wait until ``await condition()`` is truthy; return it."""
    deadline = time.monotonic() + timeout
    while not (value := await condition()):
        assert time.monotonic() < deadline, f"{what} not met within {timeout}s"
        await asyncio.sleep(0.02)
    return value


async def backends(url: str, where: str, *params: object) -> list[tuple[int, str, str]]:
    """``(pid, application_name, state)`` of this database's other backends matching ``where``."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT pid, application_name, state FROM pg_stat_activity "
            f"WHERE datname = current_database() AND pid <> pg_backend_pid() AND ({where})",
            params,
        )
        return await cursor.fetchall()


async def terminate(url: str, pids: list[int]) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for pid in pids:
            await conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


async def terminate_waiting(url: str, query_like: str, what: str) -> list[tuple[int, str, str]]:
    """Terminate the backends whose query matches ``query_like`` once they wait on a lock;
    return them as :func:`backends` found them."""
    blocked = await until(
        lambda: backends(url, "query LIKE %s AND wait_event_type = 'Lock'", query_like), what=what
    )
    await terminate(url, [pid for pid, _, _ in blocked])
    return blocked


@pytest.fixture(autouse=True)
def nothing_left_running(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every database test here ends with no job ``running``: each failure was recovered from."""
    if "database_url" not in request.fixturenames:
        yield
        return
    database_url = request.getfixturevalue("database_url")
    yield
    with psycopg.connect(database_url) as conn:
        running = conn.execute("SELECT id FROM river_job WHERE state = 'running'").fetchall()
    assert running == []


def events(logs: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry["event"] == name]


# --------------------------------------------------------------------------- killed connections


def test_the_host_names_its_connections_so_operators_can_tell_them_apart(database_url):
    registry = make_registry()

    async def scenario():
        async with running_host(registry, database_url):
            return await backends(database_url, "application_name LIKE 'riverhost%%'")

    found = asyncio.run(scenario())

    names = [name for _, name, _ in found]
    assert names.count(LISTENER_NAME) == 1
    assert names.count(POOL_NAME) >= 2


def test_a_killed_listener_reconnects_and_insert_notifications_wake_the_host_again(
    database_url,
):
    # An hour's poll: only a notification (or the reconnect's wake-up) can start these jobs.
    registry = make_registry(RIVERHOST_JOBS__POLL_INTERVAL="1h")

    async def scenario():
        async with (
            await AsyncClient.connect(database_url, registry=registry) as client,
            running_host(registry, database_url),
        ):
            first = await client.insert(StepArgs(steps=["ok"]))
            await wait_for_jobs(client, [first.job.id], timeout=5)
            (old,) = await backends(database_url, "application_name = %s", LISTENER_NAME)
            with structlog.testing.capture_logs() as logs:
                await terminate(database_url, [old[0]])
                during = await client.insert(StepArgs(steps=["ok"]))  # while it reconnects
                new = await until(
                    lambda: backends(
                        database_url, "application_name = %s AND pid <> %s", LISTENER_NAME, old[0]
                    ),
                    what="a new listener",
                )
                await wait_for_jobs(client, [during.job.id], timeout=5)
                after = [(await client.insert(StepArgs(steps=["ok"]))).job.id for _ in range(3)]
                done = await wait_for_jobs(client, after, timeout=5)
            return new, done, logs

    new, done, logs = asyncio.run(scenario())

    assert len(new) == 1
    assert {job.state for job in done} == {"completed"}
    assert len(events(logs, "notifier.disconnected")) == 1
    assert len(events(logs, "notifier.reconnected")) == 1


def test_a_listener_back_from_an_outage_reads_the_resume_and_the_cancel_it_missed(database_url):
    registry = make_registry(RIVERHOST_JOBS__POLL_INTERVAL="1h")

    async def scenario():
        async with (
            await AsyncClient.connect(database_url, registry=registry) as client,
            running_host(registry, database_url) as host,
        ):
            events = host.events.subscribe(["queue_paused", "queue_resumed"])
            await client.pause_queue("default")
            assert (await events.get(10)).kind == "queue_paused"
            held = await client.insert(StepArgs(steps=["ok"]))
            waiting = await client.insert(StepArgs(steps=["wait"]), InsertOpts(queue="high"))
            await wait_for_jobs(client, [waiting.job.id], ["running"], timeout=5)
            # Written with no notification, as if sent while the listener was down.
            async with await psycopg.AsyncConnection.connect(database_url) as conn:
                await conn.execute("UPDATE river_queue SET paused_at = NULL WHERE name = 'default'")
                await conn.execute(
                    "UPDATE river_job SET metadata = metadata || "
                    "jsonb_build_object('cancel_attempted_at', now()) WHERE id = %s",
                    (waiting.job.id,),
                )
            (listener,) = await backends(database_url, "application_name = %s", LISTENER_NAME)
            await terminate(database_url, [listener[0]])
            resumed = await events.get(10)
            return resumed, await wait_for_jobs(client, [held.job.id, waiting.job.id], timeout=10)

    resumed, (held, waiting) = asyncio.run(scenario())

    assert (resumed.kind, resumed.queue) == ("queue_resumed", "default")
    assert held.state == "completed"
    assert waiting.state == "cancelled"


def test_a_fetch_whose_connection_is_killed_is_retried_and_loses_no_job(database_url):
    registry = make_registry(RIVERHOST_JOBS__POLL_INTERVAL="50ms")

    async def scenario():
        async with (
            await AsyncClient.connect(database_url, registry=registry) as client,
            running_host(registry, database_url),
        ):
            # Hold every fetch inside its statement, then kill the connections running them.
            with structlog.testing.capture_logs() as logs:
                async with (
                    await psycopg.AsyncConnection.connect(database_url) as locker,
                    locker.transaction(),
                ):
                    await locker.execute("LOCK TABLE river_job IN ACCESS EXCLUSIVE MODE")
                    blocked = await terminate_waiting(
                        database_url, FETCHING, "a fetch waiting on the lock"
                    )
                results = await client.insert_many([StepArgs(steps=["ok"]) for _ in range(20)])
                done = await wait_for_jobs(client, [r.job.id for r in results], timeout=10)
            return blocked, done, logs

    blocked, done, logs = asyncio.run(scenario())

    assert {name for _, name, _ in blocked} == {POOL_NAME}
    assert {(job.state, job.attempt) for job in done} == {("completed", 1)}
    failed = events(logs, "producer.fetch_failed")
    assert failed, logs
    assert len(failed) == len({entry["queue"] for entry in failed})  # once per queue's outage


def test_every_queue_fetches_again_soon_after_an_outage_that_refused_connections(database_url):
    """A PostgreSQL restart under a backlog, as the host sees it: every connection killed, and
    new ones refused for a moment. The fetch pool gave up reconnecting at once and a producer
    waiting for a connection sat in the pool's 30 s wait (issue 22, item 7)."""
    registry = make_registry()
    name = conninfo_to_dict(database_url)["dbname"]
    backlog = [StepArgs(steps=["sleep"], seconds=0.1) for _ in range(1_500)]
    backlog += [OtherQueueArgs(steps=["sleep"], seconds=0.1) for _ in range(1_500)]

    async def outage(admin: psycopg.AsyncConnection[Any]) -> None:
        # A database's own sessions cannot refuse its connections: this runs from another one.
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            await asyncio.sleep(OUTAGE)  # the outage itself: nothing to wait on
        finally:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')

    async def first_attempts_since(since: Any) -> dict[str, float]:
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            cursor = await conn.execute(
                "SELECT queue, extract(epoch FROM min(attempted_at) - %(since)s)::float "
                "FROM river_job WHERE attempted_at > %(since)s GROUP BY queue",
                {"since": since},
            )
            return dict(await cursor.fetchall())

    async def first_completion_since(since: Any) -> dict[str, float]:
        # Completions go through the main pool (the completer's), not the fetch pool.
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            cursor = await conn.execute(
                "SELECT 'completed', extract(epoch FROM min(finalized_at) - %(since)s)::float "
                "FROM river_job WHERE state = 'completed' AND finalized_at > %(since)s "
                "HAVING count(*) > 0",
                {"since": since},
            )
            return dict(await cursor.fetchall())

    async def scenario():
        async with await AsyncClient.connect(database_url, registry=registry) as client:
            await client.insert_many(backlog)
        async with (
            await psycopg.AsyncConnection.connect(
                make_conninfo(database_url, dbname="postgres"), autocommit=True
            ) as admin,
            running_host(registry, database_url),
        ):
            await until(lambda: first_attempts_since(datetime.min.replace(tzinfo=UTC)))
            await outage(admin)
            cursor = await admin.execute("SELECT clock_timestamp()")
            (back,) = await cursor.fetchone() or (None,)
            started: dict[str, float] = {}

            async def every_queue_started() -> bool:
                started.update(await first_attempts_since(back))
                started.update(await first_completion_since(back))
                return started.keys() >= {"default", "bulk", "completed"}

            with contextlib.suppress(AssertionError):
                await until(every_queue_started, timeout=RECOVERY + 2)
            return started

    started = asyncio.run(scenario())

    print(f"seconds from the outage's end to each queue's first new job: {started}")
    assert started.keys() >= {"default", "bulk", "completed"}, started
    assert max(started.values()) < RECOVERY, started


def test_a_completion_whose_connection_is_killed_is_written_later_not_dropped(database_url):
    registry = make_registry()

    async def scenario():
        async with (
            await AsyncClient.connect(database_url, registry=registry) as client,
            running_host(registry, database_url),
        ):
            job = (await client.insert(LongStepArgs(steps=["sleep"], seconds=0.5))).job
            await wait_for_jobs(client, [job.id], ["running"], timeout=5)
            # Lock the job's row: its completion waits inside the statement; kill that.
            with structlog.testing.capture_logs() as logs:
                async with (
                    await psycopg.AsyncConnection.connect(database_url) as locker,
                    locker.transaction(),
                ):
                    await locker.execute(
                        "SELECT 1 FROM river_job WHERE id = %s FOR UPDATE", (job.id,)
                    )
                    await terminate_waiting(
                        database_url, COMPLETING, "a completion waiting on the row lock"
                    )
                others = await client.insert_many([StepArgs(steps=["ok"]) for _ in range(5)])
                done = await wait_for_jobs(client, [job.id] + [r.job.id for r in others])
            return done, logs

    (final, *others), logs = asyncio.run(scenario())

    assert (final.state, final.attempt, final.errors) == ("completed", 1, ())
    assert {job.state for job in others} == {"completed"}
    assert len(events(logs, "completer.write_failed")) == 1
    assert events(logs, "completer.write_recovered")


# --------------------------------------------------------------------------- stuck workers


def test_a_worker_deaf_to_its_timeout_fails_the_job_frees_its_slot_and_is_reported(
    database_url,
):
    registry = make_registry(
        RIVERHOST_JOBS__QUEUES__DEFAULT__MAX_WORKERS="1", RIVERHOST_JOBS__SHUTDOWN_TIMEOUT="500ms"
    )

    async def scenario():
        async with await AsyncClient.connect(database_url, registry=registry) as client:
            with structlog.testing.capture_logs() as logs:
                async with running_host(registry, database_url) as host:
                    producer = host.producers["default"]
                    # One slot: the second job can only run once the stuck one's slot is freed,
                    # while the first worker's thread still sleeps.
                    hung = (await client.insert(SyncStepArgs(steps=["hang", "ok"], seconds=2))).job
                    after = (await client.insert(SyncStepArgs(steps=["ok"]))).job
                    first, second = await wait_for_jobs(client, [hung.id, after.id], timeout=10)
                    slots = len(producer.active)
                    gauge = REGISTRY.get_sample_value(
                        "riverhost_jobs_running", {"queue": "default"}
                    )
                    # Its timeout is a minute: the shutdown is what tells it to stop.
                    left = (await client.insert(LongStepArgs(steps=["hang"], seconds=2))).job
                    await wait_for_jobs(client, [left.id], ["running"], timeout=5)
                    stopping = time.monotonic()
                stopped_after = time.monotonic() - stopping
            left_now = await client.get(left.id)
            return first, second, slots, gauge, left_now, stopped_after, logs

    first, second, slots, gauge, left, stopped_after, logs = asyncio.run(scenario())

    assert (first.state, first.attempt) == ("completed", 2)
    assert first.errors[0].error == "TimeoutError: job timed out after 300ms"
    assert second.state == "completed"
    assert (slots, gauge) == (0, 0)
    stuck = events(logs, "job.worker_stuck")
    assert stuck[0]["job_id"] == first.id
    assert stuck[0]["reason"] == "timeout"
    # Stopping: 0.5 s shutdown timeout, then the worker is told to stop and ignores it too.
    assert stopped_after < 0.5 + 1 + 2
    assert stuck[1]["job_id"] == left.id
    assert stuck[1]["reason"] == "shutdown"
    assert (left.state, left.attempt, left.errors) == ("available", 0, ())


def test_a_sync_worker_starts_at_once_even_when_every_thread_is_stuck():
    threads = WorkerThreads()
    release = threading.Event()
    stuck = [threads.submit(release.wait) for _ in range(3)]
    try:
        quick = threads.submit(lambda: "ran")
        assert quick.result(timeout=5) == "ran"  # not queued behind the stuck ones
        ran_in = {threads.submit(threading.current_thread).result(timeout=5) for _ in range(20)}
        # Idle threads take the next call: not a thread per call (one more while one finishes).
        assert threads.size <= 3 + 2
        assert all(thread.daemon for thread in ran_in)  # a stuck one cannot hold up the exit
    finally:
        release.set()
        threads.shutdown(wait=True)
    assert all(f.result(timeout=5) for f in stuck)


# --------------------------------------------------------------------------- rows from elsewhere

#: Rows another client (any SQL, any language) might write: (args, errors, metadata) as JSON.
FOREIGN_ROWS = {
    "wrong_type": ('{"steps": 5}', None, "{}"),
    "missing_field": ('{"note": "no steps"}', None, "{}"),
    "array": ("[1, 2]", None, "{}"),
    "number": ("7", None, "{}"),
    "string": ('"steps"', None, "{}"),
    "null": ("null", None, "{}"),
    "odd_errors": ('{"steps": ["ok"]}', ['"not an object"', '{"attempt": "two"}', "17"], "{}"),
    "array_metadata": ('{"steps": ["ok"]}', None, "[]"),
    "scalar_metadata": ('{"steps": ["ok"]}', None, '"meta"'),
    # Beyond 64-bit integers and a float's range: PostgreSQL keeps them, orjson refuses them.
    "huge_numbers": (
        '{"steps": ["ok"]}',
        None,
        '{"big": 123456789012345678901234567890, "far": 1e400}',
    ),
}


def insert_rows(url: str, rows: dict[str, tuple[str, list[str] | None, str]], kind: str) -> dict:
    """Insert ``rows`` with plain SQL, as a client that is not riverhost would; ids by name."""
    ids = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for name, (args, errors, metadata) in rows.items():
            ids[name] = conn.execute(
                "INSERT INTO river_job (kind, args, errors, metadata, max_attempts) "
                "VALUES (%s, %s::jsonb, %s::jsonb[], %s::jsonb, 3) RETURNING id",
                (kind, args, errors, metadata),
            ).fetchone()[0]
    return ids


def stored_metadata(url: str, ids: dict[str, int]) -> dict[str, object]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = dict(
            conn.execute(
                "SELECT id, metadata FROM river_job WHERE id = ANY(%s)", (list(ids.values()),)
            ).fetchall()
        )
    return {name: rows[job_id] for name, job_id in ids.items()}


def test_outcome_writes_keep_non_object_metadata_under_original_metadata_with_the_output(
    database_url,
):
    registry = make_registry()
    worked = insert_rows(
        database_url,
        {
            "string_output": ('{"steps": ["output"], "note": "n"}', None, '"metadata is a string"'),
            "array_output": ('{"steps": ["output"], "note": "n"}', None, "[1, 2]"),
            "null_progress": ('{"steps": ["progress"]}', None, "null"),
            "number_snoozed": ('{"steps": ["snooze", "output"], "note": "s"}', None, "7"),
        },
        StepArgs.kind,
    )
    waiting = insert_rows(database_url, {"cancelled": ("{}", None, '"c"')}, "nobody")
    with psycopg.connect(database_url, autocommit=True) as conn:
        waiting["retried"] = conn.execute(
            "INSERT INTO river_job (kind, args, metadata, state, finalized_at) "
            "VALUES ('nobody', '{}', '\"r\"', 'discarded', now()) RETURNING id"
        ).fetchone()[0]

    async def scenario():
        async with (
            await AsyncClient.connect(database_url, registry=registry) as client,
            running_host(registry, database_url),
        ):
            jobs = await wait_for_jobs(client, list(worked.values()), timeout=10)
            await client.cancel(waiting["cancelled"])
            await client.retry(waiting["retried"])
            return dict(zip(worked, jobs, strict=True))

    jobs = asyncio.run(scenario())
    stored = stored_metadata(database_url, {**worked, **waiting})

    assert stored["string_output"] == {
        "original_metadata": "metadata is a string",
        "output": {"echo": "n"},
    }
    assert stored["array_output"] == {"original_metadata": [1, 2], "output": {"echo": "n"}}
    assert stored["null_progress"]["original_metadata"] is None
    assert stored["null_progress"]["progress"]["current"] == 3
    assert stored["number_snoozed"] == {
        "original_metadata": 7,
        "snoozes": 1,
        "output": {"echo": "s"},
    }
    assert stored["cancelled"]["original_metadata"] == "c"
    assert "cancel_attempted_at" in stored["cancelled"]
    assert stored["retried"] == {"original_metadata": "r"}
    assert jobs["string_output"].output == {"echo": "n"}
    assert all(job.state == "completed" for job in jobs.values())


def test_a_job_read_back_shows_non_object_metadata_under_original_metadata(database_url):
    ids = insert_rows(database_url, {"string": ("{}", None, '"as written"')}, "nobody")

    async def read():
        async with await AsyncClient.connect(database_url) as client:
            return await client.get(ids["string"])

    assert dict(asyncio.run(read()).metadata) == {"original_metadata": "as written"}


def test_rows_written_by_other_clients_end_saying_why_and_the_host_keeps_working(database_url):
    registry = make_registry()
    ids = insert_rows(database_url, FOREIGN_ROWS, StepArgs.kind)
    stranger = insert_rows(database_url, {"unserved": ('{"steps": ["ok"]}', None, "{}")}, "nobody")

    async def scenario():
        async with (
            await AsyncClient.connect(database_url, registry=registry) as client,
            running_host(registry, database_url),
        ):
            jobs = await wait_for_jobs(client, list(ids.values()), timeout=10)
            later = await client.insert(StepArgs(steps=["ok"]))
            (later_job,) = await wait_for_jobs(client, [later.job.id], timeout=5)
            unserved = await client.get(stranger["unserved"])
            return dict(zip(ids, jobs, strict=True)), later_job, unserved

    jobs, later, unserved = asyncio.run(scenario())

    def outcome(name: str) -> tuple[str, int, str]:
        job = jobs[name]
        return job.state, job.attempt, job.errors[-1].error if job.errors else ""

    # No retry can make these args fit: discarded at the first attempt, naming the field.
    assert outcome("wrong_type") == (
        "discarded",
        1,
        "args do not fit StepArgs: steps: Input should be a valid list",
    )
    assert outcome("missing_field") == (
        "discarded",
        1,
        "args do not fit StepArgs: steps: Field required",
    )
    for name in ("array", "number", "string", "null"):
        state, attempt, error = outcome(name)
        assert (state, attempt) == ("discarded", 1), name
        assert error.startswith("args do not fit StepArgs: (top level): Input should be"), error
    # Odd bookkeeping columns do not stop good args from being worked.
    for name in ("odd_errors", "array_metadata", "scalar_metadata", "huge_numbers"):
        assert jobs[name].state == "completed", name
    assert jobs["huge_numbers"].metadata["big"] == 123456789012345678901234567890
    assert later.state == "completed"
    assert (unserved.state, unserved.attempt, unserved.errors) == ("available", 0, ())
