"""Three ``riverhost run`` hosts on one database, one of them SIGKILLed in the middle of work.

What an operator's fleet goes through when a machine dies: another host takes the lead within
the lease, the dead host's running jobs are rescued and finish on a survivor exactly once, and
the periodic job keeps firing once per tick throughout.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime

import psycopg
from hosts import RunningHost, poll

from riverhost import Client, InsertOpts, InsertParams, RawArgs

JOBS = 12  # three hosts x four sleeper slots: every slot busy when the leader dies
SECONDS = 4.0


def test_a_killed_leader_is_replaced_and_its_jobs_finish_once_on_the_survivors(
    plugin_env, database_url, tmp_path
):
    done_file = tmp_path / "done"
    env = plugin_env(
        "rh-test-alpha",
        "rh-test-sleeper",
        RIVERHOST_DATABASE_URL=database_url,
        RH_TEST_ALPHA_EVERY="1s",
        RH_TEST_SLEEPER_DONE=str(done_file),
        RIVERHOST_MAINTENANCE__HEARTBEAT_INTERVAL="500ms",
        RIVERHOST_MAINTENANCE__HOST_LAPSE="3s",
        RIVERHOST_MAINTENANCE__RESCUE_INTERVAL="500ms",
        RIVERHOST_JOBS__SHUTDOWN_TIMEOUT="10s",
    )
    subprocess.run(
        [sys.executable, "-m", "riverhost", "migrate"], env=env, check=True, capture_output=True
    )
    with ExitStack() as stack, psycopg.connect(database_url, autocommit=True) as conn:
        hosts = {}
        for _ in range(3):
            host = RunningHost(env)
            stack.callback(host.close)
            hosts[host.client_id()] = host.process
        leader = poll(conn, "SELECT leader_id FROM river_leader", lambda rows: rows)[0][0]
        assert leader in hosts

        with Client.connect(database_url) as client:
            sleep = RawArgs("sleep", {"seconds": SECONDS})
            results = client.insert_many([InsertParams(sleep, InsertOpts(queue="sleepers"))] * JOBS)
        ids = [r.job.id for r in results]
        poll(
            conn,
            "SELECT count(*) FROM river_job WHERE kind = 'sleep' AND state = 'running'",
            lambda rows: rows[0][0] == JOBS,
        )
        orphans = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM river_job WHERE kind = 'sleep' AND attempted_by[1] = %s", (leader,)
            )
        ]
        hosts[leader].send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        killed_wall = datetime.now(UTC)
        assert hosts.pop(leader).wait(timeout=10) == -signal.SIGKILL
        # The dead leader can renew no more: its lease ends at this expires_at.
        lapsed = conn.execute(
            "SELECT expires_at FROM river_leader WHERE leader_id = %s", (leader,)
        ).fetchone()

        successor, elected_at = poll(
            conn,
            "SELECT leader_id, elected_at FROM river_leader",
            lambda rows: rows and rows[0][0] != leader,
        )[0]
        takeover = time.monotonic() - killed_at
        poll(
            conn,
            "SELECT count(*) FROM river_job WHERE kind = 'sleep' AND state = 'completed'",
            lambda rows: rows[0][0] == JOBS,
        )
        for process in hosts.values():
            process.send_signal(signal.SIGTERM)
        assert [process.wait(timeout=60) for process in hosts.values()] == [0, 0]

        restarted = conn.execute(
            "SELECT min(attempted_at) FROM river_job WHERE id = ANY(%s)", (orphans,)
        ).fetchone()[0]
        sleepers = conn.execute(
            "SELECT id, attempt, attempted_by, coalesce(cardinality(errors), 0) FROM river_job "
            "WHERE id = ANY(%s)",
            (ids,),
        ).fetchall()
        ticks = conn.execute(
            "SELECT metadata ->> 'river:periodic_tick', count(*) FROM river_job "
            "WHERE kind = 'alpha_scan' GROUP BY 1"
        ).fetchall()
        running = conn.execute("SELECT count(*) FROM river_job WHERE state = 'running'").fetchone()

    waited = (restarted - killed_wall).total_seconds()
    print(f"takeover {takeover:.2f} s; the dead host's jobs started again after {waited:.2f} s")
    assert successor in hosts
    # Within the lease: the successor bid when the dead lease lapsed, not a 5-6 s bid interval
    # later (both times from the database's clock; the margin only absorbs a loaded machine).
    assert lapsed is not None
    assert (elected_at - lapsed[0]).total_seconds() < 3
    assert len(orphans) == 4, sleepers
    finished = Counter(int(line.split()[0]) for line in done_file.read_text().splitlines())
    assert finished == dict.fromkeys(ids, 1)  # every job finished, none twice
    for job_id, attempt, attempted_by, errors in sleepers:
        if job_id in orphans:
            assert (attempt, errors, attempted_by[0]) == (2, 1, leader)
            assert attempted_by[-1] in hosts
        else:
            assert (attempt, errors) == (1, 0)
    assert len(ticks) >= 5
    assert {count for _, count in ticks} == {1}
    assert running == (0,)
