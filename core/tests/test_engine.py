"""The engine against a real PostgreSQL: every outcome of an attempt, as the database shows it."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import engine_plugin
import psycopg
import pytest
import structlog
from engine_plugin import OtherQueueArgs, StepArgs, SyncStepArgs

import riverhost.client.notices
from riverhost import AsyncClient, InsertOpts, JobFilter, RawArgs
from riverhost.config import load_config
from riverhost.db.cursors import AsyncCursors
from riverhost.engine import producer
from riverhost.engine.executor import Attempt, Deadlines
from riverhost.job import Job
from riverhost.registry import registry_from_objects
from riverhost.testing import running_host, wait_for_jobs
from riverhost.worker import JobContext

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def make_registry(**env):
    environ = {"RIVERHOST_JOBS__POLL_INTERVAL": "200ms", "RIVERHOST_JOBS__SHUTDOWN_TIMEOUT": "2s"}
    environ.update({f"RIVERHOST_JOBS__{k.upper()}": v for k, v in env.items()})
    return registry_from_objects(("engine", engine_plugin), config=load_config(environ=environ))


def work(database_url, jobs, *, registry=None, host_options=None, states=None):
    """Insert ``jobs`` with a host running and return them once they reach ``states``."""

    async def scenario():
        reg = registry or make_registry()
        async with (
            await AsyncClient.connect(database_url, registry=reg) as client,
            running_host(reg, database_url, **(host_options or {})),
        ):
            results = await client.insert_many(jobs)
            ids = [r.job.id for r in results]
            if states is None:
                return await wait_for_jobs(client, ids)
            return await wait_for_jobs(client, ids, states)

    return asyncio.run(scenario())


@pytest.fixture(params=[StepArgs, SyncStepArgs], ids=["async", "sync"])
def Args(request):
    return request.param


def test_a_job_that_returns_is_completed_after_one_attempt(database_url, Args):
    (job,) = work(database_url, [Args(steps=["ok"])])

    assert (job.state, job.attempt, job.errors) == ("completed", 1, ())
    assert job.finalized_at is not None
    assert len(job.attempted_by) == 1


def test_a_worker_s_log_lines_carry_its_job(database_url, Args):
    with structlog.testing.capture_logs() as logs:
        (job,) = work(database_url, [Args(steps=["log"], note="scanning /movies")])

    (line,) = [e for e in logs if e["event"] == "step.logged"]
    assert line["note"] == "scanning /movies"
    assert (line["job_id"], line["kind"], line["queue"], line["attempt"]) == (
        job.id,
        job.kind,
        "default",
        1,
    )


def test_a_failing_job_is_retried_until_it_succeeds_with_each_error_recorded(database_url, Args):
    (job,) = work(database_url, [Args(steps=["fail", "fail", "ok"])])

    assert (job.state, job.attempt) == ("completed", 3)
    assert [e.attempt for e in job.errors] == [1, 2]
    assert all(RFC3339.match(e.at) for e in job.errors)
    assert "RuntimeError: step 1 failed as told" in job.errors[0].error
    assert "Traceback" in job.errors[0].trace


def test_a_job_out_of_attempts_is_discarded(database_url, Args):
    (job,) = work(database_url, [Args(steps=["fail"])])

    assert (job.state, job.attempt, len(job.errors)) == ("discarded", 3, 3)
    assert job.finalized_at is not None


def test_a_job_its_worker_cancels_is_cancelled_without_retry(database_url, Args):
    (job,) = work(database_url, [Args(steps=["cancel", "ok"])])

    assert (job.state, job.attempt) == ("cancelled", 1)
    assert job.errors[0].error == "the args said cancel"


def test_a_snoozed_job_runs_again_without_using_an_attempt(database_url, Args):
    (job,) = work(database_url, [Args(steps=["snooze", "snooze", "ok"])])

    assert (job.state, job.attempt, job.errors) == ("completed", 1, ())
    assert job.metadata["snoozes"] == 2


def test_a_job_past_its_timeout_fails_that_attempt(database_url, Args):
    (job,) = work(database_url, [Args(steps=["timeout", "ok"])])

    assert (job.state, job.attempt) == ("completed", 2)
    assert job.errors[0].error == "TimeoutError: job timed out after 300ms"


def test_deadlines_stop_the_late_and_keep_no_timer_for_attempts_that_ended_in_time():
    """Attempts share one timer per grain; once a grain's attempts all ended, its timer is
    gone too (an hour-long timeout must not keep a timer per grain of every job for an hour)."""

    def attempt():
        ctx = JobContext(lambda: None, lambda progress: None)
        return Attempt(None, ctx, lambda a: None, lambda a: None)

    async def scenario():
        loop = asyncio.get_running_loop()
        before = sum(not timer.cancelled() for timer in loop._scheduled)
        deadlines = Deadlines()
        punctual = [attempt() for _ in range(200)]
        for a in punctual:
            deadlines.watch(a, 3600)
        for a in punctual:
            a._cancel_timers()
        late = attempt()
        deadlines.watch(late, 0.05)
        pending = sum(not timer.cancelled() for timer in loop._scheduled) - before
        await asyncio.sleep(0.05 + 2 * Deadlines.GRAIN)
        return pending, late.ctx.stop_reason, [a.ctx.stop_reason for a in punctual]

    pending, late, punctual = asyncio.run(scenario())
    assert pending == 1  # the late attempt's grain alone
    assert late == "timeout"
    assert set(punctual) == {None}


def test_a_worker_s_output_and_last_progress_land_in_metadata(database_url, Args):
    output, progress = work(
        database_url, [Args(steps=["output"], note="hi"), Args(steps=["progress"])]
    )

    assert output.output == {"echo": "hi"}
    assert progress.progress.model_dump() == {
        "phase": "counting",
        "current": 3,
        "total": 3,
        "percent": 100.0,
        "message": "item 3",
    }


def test_args_that_do_not_fit_the_model_discard_the_job_at_once_saying_why(database_url):
    (job,) = work(database_url, [RawArgs("steps_async", {"steps": "not a list"})])

    assert (job.state, job.attempt) == ("discarded", 1)
    assert job.errors[0].error.startswith("args do not fit StepArgs: steps: ")


def test_args_defaults_and_declared_kinds_pick_the_queue(database_url):
    (job,) = work(database_url, [OtherQueueArgs(steps=["ok"])])

    assert (job.queue, job.priority, job.max_attempts, job.state) == ("bulk", 2, 3, "completed")


def test_progress_is_readable_while_the_job_runs_and_remote_cancel_stops_it(database_url, Args):
    async def scenario():
        registry = make_registry()
        async with (
            await AsyncClient.connect(database_url, registry=registry) as client,
            running_host(registry, database_url),
        ):
            job = (await client.insert(Args(steps=["progress_wait"]))).job
            while (progress := await client.get_progress(job.id)) is None:
                await asyncio.sleep(0.05)
            running = await client.get(job.id)
            asked = await client.cancel(job.id)
            (final,) = await wait_for_jobs(client, [job.id])
            return progress, running, asked, final

    progress, running, asked, final = asyncio.run(scenario())

    assert (progress.current, progress.total, progress.percent) == (1, 3, 33.33)
    assert running.state == "running"
    assert asked.state == "running"
    assert RFC3339.match(asked.metadata["cancel_attempted_at"])
    assert (final.state, final.errors[-1].error) == ("cancelled", "job cancelled remotely")


@pytest.mark.parametrize(("slots", "fetchers"), [(10, 1), (200, 2)])
def test_only_a_wide_queue_fetches_a_backlog_with_two_fetchers_and_never_past_its_slots(
    database_url, monkeypatch, slots, fetchers
):
    in_flight, peaks = [0], {"fetches": 0, "claimed": 0, "running": 0}
    fetch, start = producer.Producer._fetch, producer.Producer._start

    async def watched(self, limit):
        if self.queue != "default":
            return await fetch(self, limit)
        in_flight[0] += 1
        peaks["fetches"] = max(peaks["fetches"], in_flight[0])
        # Running jobs plus every slot a fetch in flight may fill: never more than the slots.
        peaks["claimed"] = max(peaks["claimed"], len(self.active) + self._reserved)
        try:
            return await fetch(self, limit)
        finally:
            in_flight[0] -= 1

    def started(self, job):
        start(self, job)
        if self.queue == "default":
            peaks["running"] = max(peaks["running"], len(self.active))

    monkeypatch.setattr(producer.Producer, "_fetch", watched)
    monkeypatch.setattr(producer.Producer, "_start", started)
    registry = make_registry(queues=f'{{"default": {{"max_workers": {slots}}}}}')
    jobs = [StepArgs(steps=["sleep"], seconds=0.005) for _ in range(slots * 6)]

    done = work(database_url, jobs, registry=registry)

    assert {(j.state, j.attempt) for j in done} == {("completed", 1)}
    assert peaks == {"fetches": fetchers, "claimed": slots, "running": slots}


def test_a_job_of_a_kind_no_plugin_serves_is_left_for_another_host(database_url):
    async def scenario():
        registry = make_registry()
        async with (
            await AsyncClient.connect(database_url) as client,
            running_host(registry, database_url),
        ):
            stranger, known = await client.insert_many(
                [RawArgs("nobody_works_this", {}), StepArgs(steps=["ok"])]
            )
            await wait_for_jobs(client, [known.job.id])
            return await client.get(stranger.job.id)

    stranger = asyncio.run(scenario())

    assert (stranger.state, stranger.attempt) == ("available", 0)


def test_a_job_inserted_in_a_rolled_back_transaction_never_runs(database_url):
    async def scenario():
        registry = make_registry()
        async with (
            await AsyncClient.connect(database_url, registry=registry) as client,
            running_host(registry, database_url),
        ):
            async with await psycopg.AsyncConnection.connect(database_url) as conn:
                await client.insert(StepArgs(steps=["ok"]), conn=conn)
                await conn.rollback()
            async with await psycopg.AsyncConnection.connect(database_url) as conn:
                kept = await client.insert(StepArgs(steps=["ok"]), conn=conn)
                await conn.commit()
            await wait_for_jobs(client, [kept.job.id])
            async with await psycopg.AsyncConnection.connect(database_url) as conn:
                cursor = await conn.execute("SELECT count(*) FROM river_job")
                return (await cursor.fetchone())[0]

    count = asyncio.run(scenario())

    assert count == 1  # only the committed job exists; the ghost never did


def test_an_insert_notification_wakes_the_host_long_before_its_poll(database_url):
    registry = make_registry(poll_interval="1h")

    (job,) = work(database_url, [StepArgs(steps=["ok"])], registry=registry)

    assert job.state == "completed"


def test_a_job_inserted_quietly_after_an_announced_one_runs_long_before_the_poll(
    database_url, monkeypatch
):
    """A client announces a queue once per window; the host's trailing fetch finds the rest."""
    monkeypatch.setattr(riverhost.client.notices, "NOTICE_WINDOW", 1.0)
    monkeypatch.setattr(producer, "NOTICE_TRAIL", 1.5)
    registry = make_registry(poll_interval="1h")

    async def scenario():
        async with (
            await AsyncClient.connect(database_url, registry=registry) as client,
            running_host(registry, database_url),
        ):
            announced = (await client.insert(StepArgs(steps=["ok"]))).job
            await wait_for_jobs(client, [announced.id], timeout=5)
            # Well inside the window: this insert sends no notification of its own.
            quiet = (await client.insert(StepArgs(steps=["ok"]))).job
            return await wait_for_jobs(client, [quiet.id], timeout=5)

    (quiet,) = asyncio.run(scenario())

    assert quiet.state == "completed"


def test_jobs_inserted_one_by_one_start_at_once_though_trailing_fetches_find_nothing(
    database_url,
):
    """The fetch a host makes after each announcement mostly finds nothing; it must not start
    the fetch cooldown that holds back the next announcement's fetch (here three seconds)."""
    cooldown = 3.0
    registry = make_registry(poll_interval="1h", fetch_cooldown=f"{cooldown}s")

    async def scenario():
        async with await AsyncClient.connect(database_url, registry=registry) as client:
            # Waiting before the host starts: its first fetch finds it, and so starts no cooldown.
            first = (await client.insert(StepArgs(steps=["ok"]))).job
            async with running_host(registry, database_url):
                await wait_for_jobs(client, [first.id], timeout=10)
                ids = []
                for _ in range(2):
                    ids.append((await client.insert(StepArgs(steps=["ok"]))).job.id)
                    await asyncio.sleep(0.1)  # past the trailing fetch
                return await wait_for_jobs(client, ids, timeout=10)

    jobs = asyncio.run(scenario())

    # A cooldown started by the trailing fetch would hold the next job back for most of it.
    waits = [(job.attempted_at - job.created_at).total_seconds() for job in jobs]
    assert max(waits) < cooldown / 2, waits


def test_an_insert_just_after_an_idle_poll_found_nothing_starts_at_once(database_url):
    """Issue 22 item 8: a host polling an empty queue (here every 50 ms) must not make an
    announced insert wait out the fetch cooldown (here three seconds) that its empty polls
    would start: only a woken fetch that finds nothing starts it."""
    cooldown = 3.0
    registry = make_registry(poll_interval="50ms", fetch_cooldown=f"{cooldown}s")

    async def scenario():
        async with (
            await AsyncClient.connect(database_url, registry=registry) as client,
            running_host(registry, database_url),
        ):
            ids = []
            for _ in range(3):
                await asyncio.sleep(0.12)  # a few empty polls first
                ids.append((await client.insert(StepArgs(steps=["ok"]))).job.id)
            return await wait_for_jobs(client, ids, timeout=15)

    jobs = asyncio.run(scenario())

    waits = [(job.attempted_at - job.created_at).total_seconds() for job in jobs]
    assert max(waits) < cooldown / 2, waits


def test_a_job_retried_or_snoozed_for_a_moment_runs_again_when_due_not_at_the_next_poll(
    database_url,
):
    registry = make_registry(poll_interval="1h")

    retried, snoozed = work(
        database_url,
        [StepArgs(steps=["fail", "ok"]), StepArgs(steps=["snooze", "ok"])],
        registry=registry,
    )

    assert (retried.state, retried.attempt) == ("completed", 2)
    assert (snoozed.state, snoozed.attempt) == ("completed", 1)


def test_a_retried_job_is_fetched_when_due_counted_from_its_write_not_its_end(
    database_url, monkeypatch
):
    # The completer writes up to 50 ms after the attempt ends; a wake counted from the end
    # came before the job was due, found nothing, and left it to the next poll (here: 1 h).
    monkeypatch.setattr(
        engine_plugin.QuickRetry, "next_delay", lambda self, **_: timedelta(milliseconds=200)
    )
    registry = make_registry(poll_interval="1h")

    (job,) = work(database_url, [StepArgs(steps=["fail", "ok"])], registry=registry)

    assert (job.state, job.attempt) == ("completed", 2)


def test_a_fetched_row_that_cannot_be_read_is_discarded_and_the_queue_goes_on(
    database_url, monkeypatch
):
    class FussyJob(Job):
        """What the producer reads rows with: fails on one marked row."""

        @classmethod
        def from_row(cls, row):
            if row[9].get("note") == "unreadable":
                raise ValueError("a shape no reader knows")
            return Job.from_row(row)

    monkeypatch.setattr(producer, "Job", FussyJob)

    bad, good = work(
        database_url, [StepArgs(steps=["ok"], note="unreadable"), StepArgs(steps=["ok"])]
    )

    assert bad.state == "discarded"
    assert bad.errors[0].error == (
        "the job row cannot be read: ValueError: a shape no reader knows"
    )
    assert good.state == "completed"


def test_poll_only_mode_works_jobs_and_sees_remote_cancels(database_url):
    registry = make_registry(poll_interval="50ms")

    async def scenario():
        async with (
            await AsyncClient.connect(database_url, registry=registry) as client,
            running_host(registry, database_url, poll_only=True),
        ):
            done, waiting = await client.insert_many(
                [StepArgs(steps=["ok"]), SyncStepArgs(steps=["wait"])]
            )
            await wait_for_jobs(client, [waiting.job.id], ["running"])
            await client.cancel(waiting.job.id)
            return await wait_for_jobs(client, [done.job.id, waiting.job.id])

    done, waiting = asyncio.run(scenario())

    assert (done.state, waiting.state) == ("completed", "cancelled")


def test_a_soft_stop_gives_unfinished_jobs_back_with_their_attempt(database_url):
    registry = make_registry(shutdown_timeout="100ms")

    async def scenario():
        async with await AsyncClient.connect(database_url, registry=registry) as client:
            async with running_host(registry, database_url):
                jobs = await client.insert_many(
                    [StepArgs(steps=["wait"]), SyncStepArgs(steps=["wait"])]
                )
                ids = [r.job.id for r in jobs]
                await wait_for_jobs(client, ids, ["running"])
            return [await client.get(i) for i in ids]

    jobs = asyncio.run(scenario())

    assert [(j.state, j.attempt, j.errors) for j in jobs] == [("available", 0, ())] * 2


def test_a_scheduled_job_waits_for_its_time(database_url):
    async def scenario():
        registry = make_registry()
        async with await AsyncClient.connect(database_url, registry=registry) as client:
            later = datetime.now(UTC).replace(year=2100)
            result = await client.insert(StepArgs(steps=["ok"]), InsertOpts(scheduled_at=later))
            return result.job

    job = asyncio.run(scenario())

    assert job.state == "scheduled"


def test_list_filters_and_pages_newest_first(database_url):
    async def scenario():
        async with await AsyncClient.connect(database_url) as client:
            await client.insert_many(
                [
                    RawArgs("a", {"n": i}, InsertOpts(tags=("t1",) if i % 2 else ()))
                    for i in range(5)
                ]
            )
            first = await client.list(JobFilter(limit=2))
            second = await client.list(JobFilter(limit=2, after=first.cursor))
            tagged = await client.list(JobFilter(tags=["t1"], newest_first=False))
            return first, second, tagged

    first, second, tagged = asyncio.run(scenario())

    assert [j.args["n"] for j in first.jobs] == [4, 3]
    assert [j.args["n"] for j in second.jobs] == [2, 1]
    assert [j.args["n"] for j in tagged.jobs] == [1, 3]


def test_a_second_stop_does_not_wait_out_the_shutdown_timeout(database_url):
    from riverhost.engine.host import Host

    registry = make_registry(shutdown_timeout="1h")

    async def scenario():
        async with await AsyncClient.connect(database_url, registry=registry) as client:
            host = Host(registry, database_url)
            task = asyncio.create_task(host.run())
            job = (await client.insert(StepArgs(steps=["wait"]))).job
            await wait_for_jobs(client, [job.id], ["running"])
            host.stop()
            host.stop()
            await asyncio.wait_for(task, timeout=30)
            return await client.get(job.id)

    job = asyncio.run(scenario())

    assert (job.state, job.attempt) == ("available", 0)


def test_a_producer_s_fetch_statement_carries_any_client_id_verbatim(database_url):
    from riverhost.client import Client
    from riverhost.db import queries

    odd = "host'%s%(x)s_1"
    with Client.connect(database_url) as client:
        client.insert(RawArgs("k", {}), InsertOpts(queue="q-1"))
    statement = queries.fetch_statement("q-1", ["other", "k"], odd)
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(statement, {"limit": 5}).fetchall()

    (job,) = [Job.from_row(row) for row in rows]
    assert (job.kind, job.state, job.attempted_by) == ("k", "running", (odd,))


@pytest.mark.parametrize("recorded", [{}, {"output": 7}], ids=["plain", "with-output"])
def test_the_completer_writes_only_attempts_still_running_and_their_outcome_whole(
    database_url, recorded
):
    """Both completion statements (all plain, or with an outcome that records something) keep
    River's rule: a job rescued and started again, or no longer running, is left alone."""
    from riverhost.engine.completer import Completer, Outcome

    written = {}

    async def scenario():
        async with await AsyncClient.connect(database_url) as client:
            ids = [r.job.id for r in await client.insert_many([RawArgs("k", {}) for _ in range(3)])]
            async with client.pool.connection() as conn:
                await conn.execute(
                    "UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now(),"
                    " metadata = '{\"m\": 1}' WHERE id = ANY(%s)",
                    (ids[:2],),
                )
                cursor = await conn.execute(
                    "SELECT attempted_at FROM river_job WHERE id = %s", (ids[0],)
                )
                (attempted_at,) = await cursor.fetchone()
            stale = attempted_at - timedelta(seconds=1)  # an earlier attempt of the second job
            completer = Completer(
                AsyncCursors(client.pool), on_written=lambda _, states: written.update(states)
            )
            for job_id, at, metadata in (
                (ids[0], attempted_at, recorded),
                (ids[1], stale, {}),
                (ids[2], None, {}),
            ):
                completer.add(Outcome(job_id, at, "k", "default", "completed", metadata=metadata))
            task = asyncio.create_task(completer.run())
            await completer.stop(task)
            return ids, [await client.get(job_id) for job_id in ids]

    ids, (done, rescued, waiting) = asyncio.run(scenario())

    assert written == {ids[0]: "completed"}
    assert (done.state, done.metadata) == ("completed", {"m": 1, **recorded})
    assert done.finalized_at is not None
    assert done.errors == ()
    assert (rescued.state, rescued.finalized_at) == ("running", None)
    assert (waiting.state, waiting.finalized_at) == ("available", None)
