"""cleanup, activity_cleanup and library_scan_cleanup end to end on the engine, on a real
PostgreSQL: batches, dry runs, unknown targets, targets refused at start."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import psycopg
import pytest
from helpers import Content
from psycopg import sql

from riverhost_maintenance import plugin
from riverhost_maintenance.args import ActivityCleanupArgs, CleanupArgs, LibraryScanCleanupArgs
from riverhost_maintenance.targets import CheckedTarget, CleanupTarget, prune

PLUGINS = [("maintenance", plugin), ("content", Content())]
QUIET = {"maintenance": {"periodic": {"auth_cleanup_daily": {"enabled": False}}}}
"""No run-on-start cleanup racing the job under test."""


def _count(url: str, query: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()
        assert row is not None
        return int(row[0])


def test_cleanup_deletes_old_rows_of_a_declared_target(run_job, database_url):
    run = asyncio.run(
        run_job(PLUGINS, CleanupArgs(target_type="content_log", batch_size=10), settings=QUIET)
    )

    assert run.state == "completed", run.errors
    assert run.output == {"dry_run": False, "deleted": {"content_log": 25}}
    assert _count(database_url, "SELECT count(*) FROM content.log") == 5


def test_cleanup_all_covers_every_target_but_scan_records(run_job, database_url):
    run = asyncio.run(run_job(PLUGINS, CleanupArgs(target_type="all"), settings=QUIET))

    assert run.state == "completed", run.errors
    assert run.output["deleted"] == {"content_log": 25, "notification_deliveries": 0}
    assert _count(database_url, "SELECT count(*) FROM content.library_scans") == 6


def test_older_than_replaces_the_targets_own_age(run_job, database_url):
    args = CleanupArgs(target_type="content_log", older_than="1h")

    run = asyncio.run(run_job(PLUGINS, args, settings=QUIET))

    assert args.older_than == 3600 * 10**9  # Go's time.Duration on the wire
    assert run.output == {"dry_run": False, "deleted": {"content_log": 30}}


def test_dry_run_counts_and_deletes_nothing(run_job, database_url):
    run = asyncio.run(
        run_job(PLUGINS, CleanupArgs(target_type="content_log", dry_run=True), settings=QUIET)
    )

    assert run.output == {"dry_run": True, "would_delete": {"content_log": 25}}
    assert _count(database_url, "SELECT count(*) FROM content.log") == 30


def test_an_unknown_target_is_cancelled_with_the_reason(run_job):
    run = asyncio.run(run_job(PLUGINS, CleanupArgs(target_type="sessions"), settings=QUIET))

    assert run.state == "cancelled"
    assert "unknown cleanup target 'sessions'" in run.errors[-1]
    assert "content_log" in run.errors[-1]


def test_a_settings_target_with_a_condition_deletes_only_matching_rows(run_job, database_url):
    settings = {
        "maintenance": {
            **QUIET["maintenance"],
            "cleanup": {
                "targets": {
                    "errors_only": {
                        "table": "content.log",
                        "column": "logged_at",
                        "older_than": "7d",
                        "condition": "level = 'error'",
                    }
                }
            },
        }
    }
    run = asyncio.run(run_job(PLUGINS, CleanupArgs(target_type="errors_only"), settings=settings))

    assert run.output == {"dry_run": False, "deleted": {"errors_only": 5}}
    assert _count(database_url, "SELECT count(*) FROM content.log WHERE level = 'error'") == 0


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            {"table": "content.nope", "column": "logged_at", "older_than": "1d"},
            "plugins.maintenance.cleanup.targets.bad.table = 'content.nope': no such table",
        ),
        (
            {"table": "content.log", "column": "note", "older_than": "1d"},
            "plugins.maintenance.cleanup.targets.bad.column = 'note': content.log.note is text, "
            "not a timestamp",
        ),
        (
            {"table": "content.log", "column": "logged_at", "older_than": "1d", "condition": "x ="},
            "plugins.maintenance.cleanup.targets.bad.condition = 'x ='",
        ),
    ],
)
def test_bad_settings_targets_refuse_the_start_naming_the_key_path(run_job, target, message):
    settings = {"maintenance": {**QUIET["maintenance"], "cleanup": {"targets": {"bad": target}}}}
    with pytest.raises(Exception, match="maintenance") as refused:
        asyncio.run(run_job(PLUGINS, CleanupArgs(target_type="bad"), settings=settings))
    assert message in str(refused.value)


def test_activity_cleanup_prunes_past_retention_days(run_job, database_url):
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO riverhost_activity (at, actor, via, action) "
            "SELECT now() - make_interval(days => d), 'ops', 'cli', 'retry' "
            "FROM unnest(ARRAY[1, 10, 89, 91, 120, 400]) d"
        )
    dry = asyncio.run(run_job(PLUGINS, ActivityCleanupArgs(dry_run=True), settings=QUIET))
    run = asyncio.run(run_job(PLUGINS, ActivityCleanupArgs(retention_days=0), settings=QUIET))
    short = asyncio.run(run_job(PLUGINS, ActivityCleanupArgs(retention_days=5), settings=QUIET))

    assert dry.output == {"retention_days": 90, "dry_run": True, "would_delete": {"activity": 3}}
    assert run.output == {"retention_days": 90, "dry_run": False, "deleted": {"activity": 3}}
    assert short.output["deleted"] == {"activity": 2}


def test_library_scan_cleanup_prunes_finished_scans_and_keeps_running_ones(run_job, database_url):
    run = asyncio.run(run_job(PLUGINS, LibraryScanCleanupArgs(), settings=QUIET))

    assert run.output == {"retention_days": 30, "dry_run": False, "deleted": {"content_scans": 3}}
    with psycopg.connect(database_url) as conn:
        left = conn.execute("SELECT status FROM content.library_scans ORDER BY id").fetchall()
    assert [status for (status,) in left] == ["running", "pending", "completed"]


def test_prune_deletes_in_batches_of_the_given_size(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE big (id bigserial PRIMARY KEY, at timestamptz NOT NULL);"
            "INSERT INTO big (at) SELECT now() - interval '2 days' FROM generate_series(1, 2500)"
        )
    checked = CheckedTarget(
        target=CleanupTarget(name="big", table="big", column="at", older_than=timedelta(days=1)),
        source="test",
        table=sql.Identifier("public", "big"),
        column=sql.Identifier("at"),
        column_type="timestamp with time zone",
        status_column=None,
    )
    batches: list[int] = []

    async def main() -> int:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:

            @contextlib.asynccontextmanager
            async def transaction():  # what ctx.transaction gives a worker
                async with conn.transaction():
                    yield conn

            return await prune(
                checked,
                timedelta(days=1),
                transaction=transaction,
                batch_size=1000,
                dry_run=False,
                on_batch=batches.append,
            )

    assert asyncio.run(main()) == 2500
    assert batches == [1000, 2000, 2500]
