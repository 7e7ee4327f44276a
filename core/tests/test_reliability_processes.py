"""Whole ``riverhost run`` processes misbehaving: a worker that kills its own process on every
attempt, and SIGTERM in the middle of a burst with a worker that will not stop.

They run on the embedded server only: what they exercise is processes (the supervisor, signals,
the rescuer across hosts), which the server's flavour does not change, and each costs seconds.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from contextlib import ExitStack

import psycopg
import pytest
from hosts import RunningHost, poll

from riverhost import Client, InsertOpts, InsertParams, RawArgs

# The embedded server only, whatever servers the session has: once is enough here.
pytestmark = pytest.mark.parametrize("riverhost_server", ["embedded"], indirect=True)


def fleet_env(plugin_env, url, tmp_path, **extra):
    return plugin_env(
        "rh-test-unruly",
        "rh-test-sleeper",
        RIVERHOST_DATABASE_URL=url,
        RH_TEST_SLEEPER_DONE=str(tmp_path / "done"),
        RIVERHOST_JOBS__POLL_INTERVAL="100ms",
        RIVERHOST_MAINTENANCE__HEARTBEAT_INTERVAL="200ms",
        RIVERHOST_MAINTENANCE__HOST_LAPSE="1s",
        RIVERHOST_MAINTENANCE__RESCUE_INTERVAL="200ms",
        **extra,
    )


def finished(tmp_path) -> Counter[int]:
    """How many times each sleep job ran to its end (the sleeper plugin's witness file)."""
    done = tmp_path / "done"
    lines = done.read_text().splitlines() if done.exists() else []
    return Counter(int(line.split()[0]) for line in lines)


def test_a_worker_that_kills_its_process_is_retried_then_discarded_and_spares_the_rest(
    plugin_env, database_url, tmp_path
):
    url = database_url
    env = fleet_env(plugin_env, url, tmp_path, RIVERHOST_JOBS__SHUTDOWN_TIMEOUT="2s")
    with ExitStack() as stack, psycopg.connect(url, autocommit=True) as conn:
        # The leader serves no crash jobs, so the one crashing never holds the lease.
        leader = stack.enter_context(RunningHost({**env, "RIVERHOST_LOAD_PLUGINS": "sleeper"}))
        leader.wait_for("leader.elected")
        workers = stack.enter_context(RunningHost(env, "--processes", "2", "--no-migrate"))
        workers.wait_for("host.running", count=2)

        with Client.connect(url) as client:
            # A client without the plugins: the attempts are given here, as the kind's are.
            crash = client.insert(RawArgs("crash", {}), InsertOpts(max_attempts=2)).job
            sleeps = client.insert_many(
                [InsertParams(RawArgs("sleep", {"seconds": 0.2}), InsertOpts(queue="sleepers"))]
                * 20
            )
        sleep_ids = [r.job.id for r in sleeps]
        poll(
            conn,
            "SELECT state FROM river_job WHERE id = %s",
            lambda rows: rows[0][0] == "discarded",
            timeout=40,
            params=(crash.id,),
        )
        poll(
            conn,
            "SELECT count(*) FROM river_job WHERE id = ANY(%s) AND state = 'completed'",
            lambda rows: rows[0][0] == len(sleep_ids),
            timeout=30,
            params=(sleep_ids,),
        )
        assert workers.stop() == 0
        assert leader.stop() == 0

        attempt, errors, attempted_by = conn.execute(
            "SELECT attempt, errors, attempted_by FROM river_job WHERE id = %s", (crash.id,)
        ).fetchone()
        running = conn.execute("SELECT count(*) FROM river_job WHERE state = 'running'").fetchone()

    died = workers.events("supervisor.process_died")
    assert attempt == 2  # each attempt killed a process; then no more
    assert [e["error"].startswith("Stuck job rescued by riverhost: its host") for e in errors] == [
        True,
        True,
    ]
    assert len(died) >= 2
    assert {record["exitcode"] for record in died} == {17}
    assert set(attempted_by) <= {r["client_id"] for r in workers.events("host.running")}
    assert set(finished(tmp_path)) == set(sleep_ids)  # every other job ran to its end
    assert running == (0,)


def test_a_completion_in_a_transaction_cut_by_a_crash_is_rescued_not_completed(
    plugin_env, database_url, tmp_path
):
    """The worker completes its job inside its own transaction (River's JobCompleteTx) and its
    process dies before the commit: the job is not completed; the rescuer brings it back and
    the next attempt completes it, once."""
    env = fleet_env(plugin_env, database_url, tmp_path)
    with (
        ExitStack() as stack,
        psycopg.connect(database_url, autocommit=True) as conn,
    ):
        leader = stack.enter_context(RunningHost({**env, "RIVERHOST_LOAD_PLUGINS": "sleeper"}))
        leader.wait_for("leader.elected")
        workers = stack.enter_context(RunningHost(env, "--processes", "2", "--no-migrate"))
        workers.wait_for("host.running", count=2)
        with Client.connect(database_url) as client:
            job = client.insert(
                RawArgs("crash_after_complete", {}), InsertOpts(queue="unruly", max_attempts=3)
            ).job
        died = workers.wait_for("supervisor.process_died")
        state_after_crash = conn.execute(
            "SELECT state FROM river_job WHERE id = %s", (job.id,)
        ).fetchone()
        poll(
            conn,
            "SELECT state FROM river_job WHERE id = %s",
            lambda rows: rows[0][0] == "completed",
            timeout=40,
            params=(job.id,),
        )
        assert workers.stop() == 0
        assert leader.stop() == 0
        attempt, errors, metadata = conn.execute(
            "SELECT attempt, errors, metadata FROM river_job WHERE id = %s", (job.id,)
        ).fetchone()

    assert died[0]["exitcode"] == 17
    assert state_after_crash[0] in ("running", "retryable", "available")  # never completed
    assert attempt == 2
    assert len(errors) == 1
    assert errors[0]["error"].startswith("Stuck job rescued by riverhost: its host")
    assert metadata["output"] == {"attempt": 2}


def test_sigterm_in_a_burst_finishes_short_jobs_gives_back_long_ones_and_exits_zero(
    plugin_env, database_url, tmp_path
):
    shutdown = 1.0
    url = database_url
    env = fleet_env(plugin_env, url, tmp_path, RIVERHOST_JOBS__SHUTDOWN_TIMEOUT=f"{shutdown}s")
    with (
        RunningHost(env, "--processes", "2") as host,
        psycopg.connect(url, autocommit=True) as conn,
    ):
        host.wait_for("host.running", count=2)
        with Client.connect(url) as client:
            sleepers = InsertOpts(queue="sleepers")
            burst = client.insert_many(
                [InsertParams(RawArgs("sleep", {"seconds": 30}), sleepers)] * 4
                + [InsertParams(RawArgs("stall", {"seconds": 30}), InsertOpts(queue="unruly"))]
                + [InsertParams(RawArgs("sleep", {"seconds": 0.3}), sleepers)] * 40
            )
        ids = [r.job.id for r in burst]
        long_ids, stall_id = ids[:4], ids[4]
        poll(
            conn,
            "SELECT count(*) FROM river_job WHERE id = ANY(%s) AND state = 'running'",
            lambda rows: rows[0][0] == 5,
            timeout=10,
            params=(ids[:5],),
        )
        stopping = time.monotonic()
        code = host.stop(timeout=30, signum=signal.SIGTERM)
        took = time.monotonic() - stopping
        rows = conn.execute(
            "SELECT id, state, attempt, coalesce(cardinality(errors), 0) FROM river_job "
            "WHERE id = ANY(%s)",
            (ids,),
        ).fetchall()
        running = conn.execute("SELECT count(*) FROM river_job WHERE state = 'running'").fetchone()

    print(f"stopped {took:.2f} s after SIGTERM")
    states = {job_id: (state, attempt, errors) for job_id, state, attempt, errors in rows}
    assert code == 0
    assert running == (0,)
    # The long ones and the one deaf to every stop go back with their attempt given back.
    assert [states[i] for i in [*long_ids, stall_id]] == [("available", 0, 0)] * 5
    # Every other job either finished or was never started; none half-done.
    assert {states[i] for i in ids[5:]} <= {("completed", 1, 0), ("available", 0, 0)}
    assert {i for i in ids[5:] if states[i][0] == "completed"} == set(finished(tmp_path))
    assert host.events("host.cancelling_jobs")
    assert host.events("job.worker_stuck", job_id=stall_id)
    assert not host.events("supervisor.process_killed")
    # Soft stop, then the grace a stuck worker gets, then exit: not the supervisor's kill.
    assert took < shutdown + 1 + 5
