"""The fleet's services against a real PostgreSQL: leader election, rescue, cleaning,
periodic jobs, queue pause and resume, events and metrics."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from datetime import timedelta

import engine_plugin
import psycopg
import pytest
import structlog
from engine_plugin import StepArgs

import riverhost.engine.host
from riverhost import AsyncClient, InsertOpts, PeriodicJob, hookimpl
from riverhost.config import MaintenanceConfig, RetentionConfig, load_config
from riverhost.engine.host import Host, _task
from riverhost.maintenance.cleaner import Cleaner
from riverhost.maintenance.enqueuer import PeriodicEnqueuer
from riverhost.maintenance.rescuer import Rescuer
from riverhost.registry import registry_from_objects
from riverhost.testing import running_host, wait_for_jobs


def make_registry(**env):
    environ = {"RIVERHOST_JOBS__POLL_INTERVAL": "200ms", "RIVERHOST_JOBS__SHUTDOWN_TIMEOUT": "2s"}
    environ.update(env)
    return registry_from_objects(("engine", engine_plugin), config=load_config(environ=environ))


def sql(url, query, params=None):
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else None


async def until(condition, timeout=30.0):
    """Wait until ``condition()`` is true, polling; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


# --------------------------------------------------------------------------- leadership


def test_three_hosts_elect_one_leader_and_another_takes_over_when_it_stops(database_url):
    registry = make_registry()

    async def scenario():
        hosts = [Host(registry, database_url) for _ in range(3)]
        tasks = [asyncio.create_task(h.run()) for h in hosts]
        await until(lambda: sum(h.is_leader for h in hosts) == 1)
        await asyncio.sleep(0.5)  # let followers bid again: still exactly one leader
        leaders_before = sum(h.is_leader for h in hosts)
        leader = next(i for i, h in enumerate(hosts) if h.is_leader)
        hosts[leader].stop()
        await tasks[leader]
        started = time.monotonic()
        rest = [h for i, h in enumerate(hosts) if i != leader]
        await until(lambda: sum(h.is_leader for h in rest) == 1, timeout=20)
        takeover = time.monotonic() - started
        row = sql(database_url, "SELECT leader_id FROM river_leader")
        new_leader = next(h for h in rest if h.is_leader)
        for h in rest:
            h.stop()
        await asyncio.gather(*(t for i, t in enumerate(tasks) if i != leader))
        return leaders_before, takeover, row, new_leader.client_id

    leaders_before, takeover, row, new_leader = asyncio.run(scenario())

    assert leaders_before == 1
    assert row == [(new_leader,)]
    assert takeover < 5  # a resignation is announced: nobody waits for the 15 s lease


# --------------------------------------------------------------------------- rescue

RUNNING = (
    "INSERT INTO river_job (kind, args, state, attempt, max_attempts, attempted_at, "
    "attempted_by, metadata) VALUES (%s, '{}', 'running', %s, %s, now() - %s::interval, "
    "ARRAY[%s], %s) RETURNING id"
)
HOST = (
    "INSERT INTO riverhost_host (id, hostname, pid, version, heartbeat_at, kinds) "
    "VALUES (%s, 'h', 1, '0', now() - %s::interval, %s)"
)


def running_job(url, kind, host, *, attempt=1, max_attempts=3, ran="1s", metadata="{}"):
    return sql(url, RUNNING, (kind, attempt, max_attempts, ran, host, metadata))[0][0]


def test_the_rescuer_brings_back_jobs_of_a_dead_host_and_of_stuck_attempts(database_url):
    kinds = '{"far_kind": {"plugin": "x", "timeout_s": 3600}}'
    sql(database_url, HOST, ("dead-host", "1m", kinds))
    sql(database_url, HOST, ("live-host", "0s", kinds))
    dead = running_job(database_url, "steps_async", "dead-host")
    dead_far = running_job(database_url, "far_kind", "dead-host")
    dead_last = running_job(database_url, "steps_async", "dead-host", attempt=3)
    dead_cancel = running_job(
        database_url, "steps_async", "dead-host", metadata='{"cancel_attempted_at": "x"}'
    )
    live_fresh = running_job(database_url, "far_kind", "live-host", ran="10m")
    live_stuck = running_job(database_url, "steps_async", "live-host", ran="2m")
    go_client = running_job(database_url, "go_kind", "go-client-1", ran="10m")
    registry = make_registry()
    config = MaintenanceConfig(rescue_margin=timedelta(minutes=1))

    async def scenario():
        async with await AsyncClient.connect(database_url) as client:
            return await Rescuer(client.pool, registry, config).run_once()

    rescued = asyncio.run(scenario())

    rows = {
        r[0]: r[1:]
        for r in sql(
            database_url,
            "SELECT id, state::text, array_length(errors, 1), metadata -> 'river:rescue_count' "
            "FROM river_job",
        )
    }
    assert rescued == 5
    assert rows[dead] == ("available", 1, 1)  # retried at once: the quick retry policy
    assert rows[dead_far] == ("available", 1, 1)  # a kind this leader lacks: retried (River's 1 s)
    assert rows[dead_last] == ("discarded", 1, 1)
    assert rows[dead_cancel] == ("cancelled", 1, 1)
    assert rows[live_stuck] == ("available", 1, 1)  # 2 min > 300 ms timeout + 1 min margin
    assert rows[live_fresh] == ("running", None, None)  # within far_kind's hour
    assert rows[go_client] == ("running", None, None)  # not ours; judged only after an hour
    (error,) = sql(
        database_url, "SELECT errors[1] ->> 'error' FROM river_job WHERE id = %s", (dead,)
    )[0]
    assert error == "Stuck job rescued by riverhost: its host dead-host stopped heartbeating"


def test_rescue_and_completion_touch_only_the_attempt_they_judged(database_url):
    from psycopg.types.json import Jsonb

    from riverhost.db import queries

    job = running_job(database_url, "steps_async", "dead-host")
    ((judged,),) = sql(database_url, "SELECT attempted_at FROM river_job WHERE id = %s", (job,))
    # Meanwhile the job was rescued elsewhere and started again: a new attempt.
    sql(
        database_url, "UPDATE river_job SET attempted_at = now(), attempt = 2 WHERE id = %s", (job,)
    )
    error = Jsonb({"at": "", "attempt": 1, "error": "late", "trace": ""})

    rescued = sql(
        database_url,
        queries.RESCUE_MANY,
        {
            "ids": [job],
            "attempted_at": [judged],
            "outcomes": ["retryable"],
            "delays": [timedelta(0)],
            "errors": [error],
        },
    )
    completed = sql(
        database_url,
        queries.COMPLETE_MANY,
        {
            "ids": [job],
            "attempted_at": [judged],
            "outcomes": ["completed"],
            "delays": [None],
            "errors": [None],
            "metadata": [Jsonb({})],
        },
    )

    assert (rescued, completed) == ([], [])
    assert sql(database_url, "SELECT state::text, errors FROM river_job") == [("running", None)]


# --------------------------------------------------------------------------- cleaner

FINALIZED = (
    "INSERT INTO river_job (kind, args, state, finalized_at) "
    "VALUES ('k', '{}', %s, now() - %s::interval) RETURNING id"
)


def test_the_cleaner_removes_exactly_what_retention_says(database_url):
    ids = {}
    for state in ("completed", "cancelled", "discarded"):
        for age in ("30m", "2h", "3d", "8d"):
            ids[state, age] = sql(database_url, FINALIZED, (state, age))[0][0]
    waiting = sql(
        database_url, "INSERT INTO river_job (kind, args) VALUES ('k', '{}') RETURNING id"
    )
    retention = RetentionConfig(
        completed=timedelta(hours=1), cancelled=None, discarded=timedelta(days=7)
    )

    async def scenario():
        async with await AsyncClient.connect(database_url) as client:
            cleaner = Cleaner(client.pool, MaintenanceConfig(retention=retention), batch_size=1)
            return await cleaner.run_once()

    deleted = asyncio.run(scenario())

    left = {r[0] for r in sql(database_url, "SELECT id FROM river_job")}
    expected = {
        ids["completed", "30m"],
        *(ids["cancelled", age] for age in ("30m", "2h", "3d", "8d")),
        ids["discarded", "30m"],
        ids["discarded", "2h"],
        ids["discarded", "3d"],
        waiting[0][0],
    }
    assert left == expected
    assert deleted == {"completed": 3, "discarded": 1}


# --------------------------------------------------------------------------- periodic


def test_a_periodic_job_fires_once_per_tick_however_many_leaders_insert_it(database_url):
    job = PeriodicJob(id="tick", args=StepArgs(steps=["ok"]), every="1s", run_on_start=True)

    async def scenario():
        async with await AsyncClient.connect(database_url) as client:
            enqueuers = [PeriodicEnqueuer(client, [job]) for _ in range(3)]
            tasks = [asyncio.create_task(e.run()) for e in enqueuers]
            deadline = time.monotonic() + 30
            while len((await client.list()).jobs) < 3 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(scenario())

    ticks = sql(
        database_url,
        "SELECT metadata ->> 'river:periodic_tick', count(*) FROM river_job GROUP BY 1 ORDER BY 1",
    )
    assert len(ticks) >= 3
    assert {count for _, count in ticks} == {1}
    assert sql(
        database_url, "SELECT DISTINCT metadata ->> 'river:periodic_job_id' FROM river_job"
    ) == [("tick",)]


# --------------------------------------------------------------------------- queues and events


def test_a_paused_queue_fetches_nothing_until_resumed_and_both_are_events(database_url):
    registry = make_registry()

    async def scenario():
        async with (
            await AsyncClient.connect(database_url) as client,
            running_host(registry, database_url) as host,
        ):
            events = host.events.subscribe(["queue_paused", "queue_resumed", "job_completed"])
            await client.pause_queue("default")
            assert (await events.get(10)).kind == "queue_paused"
            held, other = await client.insert_many(
                [StepArgs(steps=["ok"]), (StepArgs(steps=["ok"]))]
            )
            other = await client.insert(StepArgs(steps=["ok"]), InsertOpts(queue="high"))
            await wait_for_jobs(client, [other.job.id])
            state_while_paused = (await client.get(held.job.id)).state
            paused_listing = {q.name: q for q in await client.list_queues()}
            await client.resume_queue("default")
            await wait_for_jobs(client, [held.job.id])
            seen = []
            while not events.queue.empty():
                seen.append(events.queue.get_nowait().kind)
            return state_while_paused, paused_listing, seen

    state_while_paused, listing, seen = asyncio.run(scenario())

    assert state_while_paused == "available"
    assert listing["default"].paused_at is not None
    assert listing["default"].counts == {"available": 2}
    assert listing["high"].paused_at is None
    assert "queue_resumed" in seen
    assert seen.count("job_completed") >= 2


def test_a_fleet_pause_holds_on_a_host_that_has_not_heard_of_it(database_url):
    """The pause in ``river_queue`` is the authority, not the notification: a host that has
    not heard of it yet (its listener reconnecting, or a fetch already on its way when the
    notification came) still fetches nothing from the paused queue."""
    registry = make_registry()

    async def scenario():
        async with (
            await AsyncClient.connect(database_url) as client,
            running_host(registry, database_url) as host,
        ):
            # Paused with no notification: the host goes on believing the queue runs.
            sql(database_url, "UPDATE river_queue SET paused_at = now() WHERE name = 'default'")
            held = await client.insert(StepArgs(steps=["ok"]))
            other = await client.insert(StepArgs(steps=["ok"]), InsertOpts(queue="high"))
            await wait_for_jobs(client, [other.job.id])
            await asyncio.sleep(0.2)  # past the insert notice's trailing fetch
            believed_paused = host.producers["default"].paused
            state_while_paused = (await client.get(held.job.id)).state
            await client.resume_queue("default")
            (finished,) = await wait_for_jobs(client, [held.job.id])
            return believed_paused, state_while_paused, finished.state

    believed_paused, state_while_paused, finished = asyncio.run(scenario())

    assert believed_paused is False
    assert state_while_paused == "available"
    assert finished == "completed"


def test_a_pause_and_resume_written_without_notification_reach_a_host_at_its_refresh(
    database_url, monkeypatch
):
    """Nothing announces a pause written straight to ``river_queue`` (a poll-only River
    client's, say): a listening host reads the pauses every ``CONTROL_REFRESH``, so a resume
    cannot leave a queue paused on it for good, and both changes are events."""
    monkeypatch.setattr(riverhost.engine.host, "CONTROL_REFRESH", 0.2)
    registry = make_registry()

    async def scenario():
        async with running_host(registry, database_url) as host:
            events = host.events.subscribe(["queue_paused", "queue_resumed"])
            sql(database_url, "UPDATE river_queue SET paused_at = now() WHERE name = 'default'")
            paused = await events.get(10)
            believed = host.producers["default"].paused
            sql(database_url, "UPDATE river_queue SET paused_at = NULL WHERE name = 'default'")
            resumed = await events.get(10)
            return paused, believed, resumed, host.producers["default"].paused

    paused, believed, resumed, believed_after = asyncio.run(scenario())

    assert (paused.kind, paused.queue, believed) == ("queue_paused", "default", True)
    assert (resumed.kind, resumed.queue, believed_after) == ("queue_resumed", "default", False)


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        "[1, 2]",
        '{"action": "cancel", "job_id": [1]}',
        '{"action": "cancel", "job_id": {"id": 1}}',
        '{"action": "pause", "queue": ["default"]}',
    ],
)
def test_a_malformed_control_message_is_logged_and_the_host_goes_on_listening(
    database_url, payload
):
    """Anyone who can connect can NOTIFY; what they send must not end a host's listening."""
    registry = make_registry()

    async def scenario():
        async with (
            await AsyncClient.connect(database_url) as client,
            running_host(registry, database_url) as host,
        ):
            events = host.events.subscribe(["queue_paused"])
            sql(database_url, "SELECT pg_notify('public.river_control', %s)", (payload,))
            await client.pause_queue("high")
            return await events.get(10)

    assert asyncio.run(scenario()).queue == "high"


def test_a_host_task_that_dies_of_an_exception_says_so_at_once():
    async def dies():
        raise RuntimeError("a bug in a background service")

    async def scenario():
        with structlog.testing.capture_logs() as logs:
            await asyncio.gather(_task(dies(), "doomed"), return_exceptions=True)
            await asyncio.sleep(0)
        return logs

    (crash,) = [e for e in asyncio.run(scenario()) if e["event"] == "host.task_crashed"]
    assert crash["task"] == "doomed"
    assert crash["log_level"] == "error"
    assert "a bug in a background service" in str(crash["exc_info"])


def test_queues_command_pauses_one_host_or_the_fleet_and_lists_what_it_did(database_url, riverhost):
    registry = make_registry()

    def cli(*args):
        result = riverhost(*args, env={"RIVERHOST_DATABASE_URL": database_url})
        assert result.returncode == 0, result.stderr
        return result.stdout

    async def scenario():
        async with running_host(registry, database_url) as host:
            events = host.events.subscribe(["queue_paused", "queue_resumed"])
            default = host.producers["default"]
            said = [
                await asyncio.to_thread(cli, "queues", "pause", "default", "--host", host.client_id)
            ]
            first = await events.get(10)
            here = (default.paused_here, default.paused_fleet)
            said.append(await asyncio.to_thread(cli, "queues", "pause", "*"))
            await until(lambda: all(p.paused_fleet for p in host.producers.values()))
            listing = json.loads(await asyncio.to_thread(cli, "queues", "list", "--json"))
            said.append(await asyncio.to_thread(cli, "queues", "resume", "*"))
            await until(lambda: not any(p.paused_fleet for p in host.producers.values()))
            still_here = default.paused
            said.append(
                await asyncio.to_thread(
                    cli, "queues", "resume", "default", "--host", host.client_id
                )
            )
            await until(lambda: not default.paused)
            return said, first, here, listing, still_here

    said, first, here, listing, still_here = asyncio.run(scenario())

    assert said[0].startswith("paused default on host ")
    assert said[1] == "paused * for the whole fleet\n"
    assert said[2] == "resumed * for the whole fleet\n"
    assert said[3].startswith("resumed default on host ")
    assert (first.kind, first.queue) == ("queue_paused", "default")
    assert here == (True, False)
    paused = {q["name"] for q in listing if q["paused"]}
    assert paused == {"bulk", "critical", "default", "high", "low"}
    assert still_here is True  # the host's own pause outlives the fleet's resume


def test_job_events_say_what_happened_to_each_job(database_url):
    registry = make_registry()

    async def scenario():
        async with (
            await AsyncClient.connect(database_url, registry=registry) as client,
            running_host(registry, database_url) as host,
        ):
            events = host.events.subscribe()
            results = await client.insert_many(
                [
                    StepArgs(steps=s)
                    for s in (["ok"], ["fail", "ok"], ["cancel"], ["snooze", "ok"], ["fail"])
                ]
            )
            ids = [r.job.id for r in results]
            await wait_for_jobs(client, ids)
            seen = []
            while not events.queue.empty():
                event = events.queue.get_nowait()
                seen.append((ids.index(event.job_id), event.kind))
            return sorted(seen)

    seen = asyncio.run(scenario())

    assert seen == sorted(
        [
            (0, "job_completed"),
            (1, "job_failed"),
            (1, "job_completed"),
            (2, "job_cancelled"),
            (3, "job_snoozed"),
            (3, "job_completed"),
            (4, "job_failed"),
            (4, "job_failed"),
            (4, "job_discarded"),
        ]
    )


class EventListener:
    """A plugin that hears events through the ``riverhost_event`` hook."""

    def __init__(self):
        self.heard = []

    @hookimpl
    def riverhost_event(self, event):
        self.heard.append((event.kind, event.job_id))


def test_a_plugin_hears_job_events_through_its_hook(database_url):
    listener = EventListener()
    config = load_config(environ={"RIVERHOST_JOBS__POLL_INTERVAL": "200ms"})
    registry = registry_from_objects(
        ("engine", engine_plugin), ("listener", listener), config=config
    )

    async def scenario():
        async with (
            await AsyncClient.connect(database_url, registry=registry) as client,
            running_host(registry, database_url),
        ):
            results = await client.insert_many([StepArgs(steps=["ok"]) for _ in range(3)])
            ids = [r.job.id for r in results]
            await wait_for_jobs(client, ids)
            await until(lambda: len(listener.heard) >= 3)
            return ids

    ids = asyncio.run(scenario())

    assert sorted(listener.heard) == [("job_completed", i) for i in ids]


# --------------------------------------------------------------------------- metrics


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def test_the_metrics_endpoint_counts_what_the_job_table_shows(database_url):
    registry = make_registry(RIVERHOST_METRICS__LISTEN="127.0.0.1:0")
    completed = (
        'riverhost_jobs_finished_total{kind="steps_async",outcome="completed",queue="default"}'
    )
    failed = 'riverhost_jobs_finished_total{kind="steps_async",outcome="failed",queue="default"}'

    async def scenario():
        async with (
            await AsyncClient.connect(database_url, registry=registry) as client,
            running_host(registry, database_url) as host,
        ):
            before = scrape(host.metrics_port)
            results = await client.insert_many(
                [StepArgs(steps=["ok"])] * 7 + [StepArgs(steps=["fail", "ok"])] * 3
            )
            await wait_for_jobs(client, [r.job.id for r in results])
            await until(
                lambda: scrape(host.metrics_port).get(completed, 0) - before.get(completed, 0) >= 10
            )
            after = scrape(host.metrics_port)
            return before, after, host.metrics_port

    before, after, _port = asyncio.run(scenario())

    table = sql(
        database_url,
        "SELECT count(*), sum(array_length(errors, 1)) FROM river_job WHERE state = 'completed'",
    )
    assert after[completed] - before.get(completed, 0) == table[0][0] == 10
    assert after[failed] - before.get(failed, 0) == table[0][1] == 3
    durations = 'riverhost_job_duration_seconds_{}{{kind="steps_async",{}queue="default"}}'
    buckets = [
        after.get(durations.format("bucket", f'le="{le}",'), 0)
        - before.get(durations.format("bucket", f'le="{le}",'), 0)
        for le in ("0.001", "0.01", "0.1", "0.5", "1.0", "+Inf")
    ]
    count = after[durations.format("count", "")] - before.get(durations.format("count", ""), 0)
    assert count == buckets[-1] == 13  # every attempt: ten completed, three failed
    assert buckets == sorted(buckets)  # cumulative
    assert after[durations.format("sum", "")] > before.get(durations.format("sum", ""), 0)
    assert after["riverhost_leader"] == 1
