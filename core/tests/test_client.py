"""The client against a real PostgreSQL: inserts (unique, batch, COPY), reads and changes."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool, ConnectionPool

import riverhost.client.notices
from riverhost import (
    AsyncClient,
    Client,
    InsertOpts,
    InsertParams,
    InsertResult,
    JobFilter,
    JobState,
    RawArgs,
    UniqueOpts,
)
from riverhost.client.copy import _copy_data
from riverhost.client.insert import _insert_statement, _KindDefaults, _params
from riverhost.db import queries
from riverhost.errors import (
    DatabaseUnreachableError,
    InsertError,
    JobNotFoundError,
    JobRunningError,
)
from riverhost.job import PROGRESS_KEY, Job, new_job

BY_ARGS = InsertOpts(unique=UniqueOpts(by_args=True))


@pytest.fixture
def client(database_url):
    with Client.connect(database_url) as client:
        yield client


def rows(database_url, query):
    with psycopg.connect(database_url) as conn:
        return conn.execute(query).fetchall()


def test_a_unique_insert_stores_river_s_key_for_the_worked_example(client):
    result = client.insert(RawArgs("email", {"b": 1, "a": 2}), BY_ARGS)

    key = result.job.unique_key.hex()
    assert (key[:8], key[-8:]) == ("143d872f", "c79eac2e")
    assert result.job.unique_states == "11110101"
    assert not result.duplicate


def received_notices(listener):
    """The queues of the ``river_insert`` notifications ``listener`` received so far."""
    listener.execute("SELECT 1")  # notifications arrive with the next result
    return [json.loads(n.payload)["queue"] for n in listener.notifies(timeout=0.2, stop_after=None)]


def test_quick_plain_inserts_announce_a_queue_once_per_window_but_a_caller_s_never_quietly(
    client, database_url, monkeypatch
):
    window = 0.5  # wide, so a slow machine's inserts still fall inside one
    monkeypatch.setattr(riverhost.client.notices, "NOTICE_WINDOW", window)
    with psycopg.connect(database_url, autocommit=True) as listener:
        schema = listener.execute("SELECT current_schema()").fetchone()[0]
        listener.execute(f'LISTEN "{schema}.river_insert"')
        # Within one window: the first announces each queue, the rest stay quiet.
        for queue in ("a", "a", "b", "a"):
            client.insert(RawArgs("k", {}), InsertOpts(queue=queue))
        quick = received_notices(listener)
        time.sleep(window * 1.2)
        client.insert(RawArgs("k", {}), InsertOpts(queue="a"))
        client.insert_many_fast([RawArgs("k", {})])  # COPY: default announced long ago
        later = received_notices(listener)
        with psycopg.connect(database_url, autocommit=True) as conn:
            for _ in range(2):
                client.insert(RawArgs("k", {}), InsertOpts(queue="a"), conn=conn)
        callers = received_notices(listener)

    assert quick == ["a", "b"]
    assert sorted(later) == ["a", "default"]
    assert callers == ["a", "a"]
    assert rows(database_url, "SELECT count(*) FROM river_job") == [(8,)]


def test_a_second_unique_insert_returns_the_existing_job_marked_duplicate(client):
    first = client.insert(RawArgs("email", {"a": 1}), BY_ARGS)
    second = client.insert(RawArgs("email", {"a": 1}), BY_ARGS)
    other = client.insert(RawArgs("email", {"a": 2}), BY_ARGS)

    assert second.duplicate
    assert second.job.id == first.job.id
    assert not other.duplicate
    assert other.job.id != first.job.id


def test_duplicates_inside_one_batch_answer_with_the_first_job(client, database_url):
    results = client.insert_many(
        [
            InsertParams(RawArgs("email", {"a": 1}), BY_ARGS),
            InsertParams(RawArgs("email", {"a": 1}), BY_ARGS),
            RawArgs("email", {"a": 1}),
        ]
    )

    assert [r.duplicate for r in results] == [False, True, False]
    assert results[0].job.id == results[1].job.id != results[2].job.id
    assert rows(database_url, "SELECT count(*) FROM river_job") == [(2,)]


def test_a_cancelled_unique_job_no_longer_blocks_a_new_one(client):
    first = client.insert(RawArgs("email", {"a": 1}), BY_ARGS)
    client.cancel(first.job.id)

    again = client.insert(RawArgs("email", {"a": 1}), BY_ARGS)

    assert not again.duplicate
    assert again.job.id != first.job.id


@pytest.mark.parametrize(
    "opts",
    [None, InsertOpts(priority=2, queue="low", max_attempts=3), InsertOpts(tags=("t",)), BY_ARGS],
    ids=["plain", "plain-options", "tagged", "unique"],
)
def test_a_single_insert_returns_the_job_as_stored(client, opts):
    result = client.insert(RawArgs("one", {"a": [1, {"b": None}]}), opts)

    assert not result.duplicate
    assert result.job == client.get(result.job.id)
    assert result.job.state == "available"


def test_insert_many_returns_rows_in_the_order_given(client):
    results = client.insert_many([RawArgs("n", {"n": i}) for i in range(50)])

    assert [r.job.args["n"] for r in results] == list(range(50))
    assert all(r.job.state == JobState.AVAILABLE for r in results)


@pytest.mark.parametrize(
    ("opts", "state", "announced"),
    [
        (None, "available", ["default"]),
        (
            InsertOpts(
                queue="low", priority=3, max_attempts=4, tags=("t1", "t2"), metadata={"m": 1}
            ),
            "available",
            ["low"],
        ),
        (
            InsertOpts(scheduled_at=datetime.now(UTC) - timedelta(minutes=1)),
            "available",
            ["default"],
        ),
        (InsertOpts(scheduled_at=datetime.now(UTC) + timedelta(hours=1)), "scheduled", []),
        (InsertOpts(pending=True), "pending", []),
    ],
    ids=["plain", "options", "scheduled-past", "scheduled-later", "pending"],
)
def test_a_batch_of_alike_jobs_returns_them_as_stored_and_announces_only_available_ones(
    client, database_url, opts, state, announced
):
    items = [InsertParams(RawArgs("alike", {"i": i}), opts) for i in range(20)]
    statement = _insert_statement(items, _KindDefaults())[0]
    with psycopg.connect(database_url, autocommit=True) as listener:
        schema = listener.execute("SELECT current_schema()").fetchone()[0]
        listener.execute(f'LISTEN "{schema}.river_insert"')
        results = client.insert_many(items)
        notices = received_notices(listener)

    assert statement is queries.INSERT_ALIKE
    assert [r.job for r in results] == [client.get(r.job.id) for r in results]
    assert results[0].job is results[0].job  # built once, when first read
    assert [r.job.args["i"] for r in results] == list(range(20))
    assert {r.job.state for r in results} == {state}
    assert not any(r.duplicate for r in results)
    assert notices == announced


def test_a_batch_result_is_read_only_and_equals_one_built_at_once(client):
    result = client.insert_many([RawArgs("k", {"a": 1}), RawArgs("k", {"a": 2})])[1]

    with pytest.raises(AttributeError):
        result.duplicate = True  # type: ignore[misc]
    assert result == InsertResult(client.get(result.job.id), duplicate=False)
    assert result != InsertResult(result.job, duplicate=True)
    assert repr(result).startswith("InsertResult(job=Job(")


def test_jobs_built_fast_are_jobs_as_frozen_and_equal_as_the_dataclass_makes_them(client):
    """Inserted and fetched jobs are built through ``new_job``, not ``Job(...)``."""
    inserted = client.insert(RawArgs("k", {"a": 1})).job
    read = client.get(inserted.id)
    values = [getattr(inserted, f.name) for f in dataclasses.fields(Job)]

    assert type(inserted) is type(read) is Job
    assert inserted == read == Job(*values) == new_job(*values)
    for job in (inserted, read):
        with pytest.raises(dataclasses.FrozenInstanceError):
            job.kind = "other"  # type: ignore[misc]


def test_a_mixed_batch_keeps_each_job_s_options_and_returns_what_was_stored(client):
    later = datetime.now(UTC) + timedelta(hours=1)
    low = InsertOpts(queue="low", priority=3, tags=("t1",), metadata={"m": [1, "x"]})
    items = []
    for i in range(30):
        if i % 3 == 0:
            items.append(InsertParams(RawArgs("a", {"i": i}), low))
        elif i % 3 == 1:
            items.append(RawArgs("b", {"i": i, "s": "é\\"}))
        else:
            items.append(InsertParams(RawArgs("a", {"i": i}), InsertOpts(scheduled_at=later)))
    items.insert(7, InsertParams(RawArgs("u", {"i": -1}), BY_ARGS))
    items.insert(20, InsertParams(RawArgs("p", {"i": -2}), InsertOpts(pending=True)))

    results = client.insert_many(items)
    stored = [client.get(r.job.id) for r in results]

    assert [r.job for r in results] == stored
    assert [j.args["i"] for j in stored] == [
        item.args.args["i"] if isinstance(item, InsertParams) else item.args["i"] for item in items
    ]
    assert [(j.kind, j.queue, j.priority, j.state) for j in stored[:3]] == [
        ("a", "low", 3, "available"),
        ("b", "default", 1, "available"),
        ("a", "default", 1, "scheduled"),
    ]
    assert (stored[0].tags, stored[0].metadata) == (("t1",), {"m": [1, "x"]})
    assert stored[7].unique_key is not None
    assert stored[7].unique_states == "11110101"
    assert stored[20].state == "pending"
    assert [r.duplicate for r in client.insert_many([items[7], items[0]])] == [True, False]


def test_insert_many_fast_copies_every_option_through(client, database_url):
    later = datetime.now(UTC) + timedelta(hours=1)
    count = client.insert_many_fast(
        [
            RawArgs("bulk", {"n": 1}),
            InsertParams(
                RawArgs("bulk", {"n": 2}),
                InsertOpts(
                    queue="low",
                    priority=3,
                    max_attempts=4,
                    tags=("a", "b-c"),
                    metadata={"m": 1},
                    scheduled_at=later,
                ),
            ),
            InsertParams(RawArgs("bulk", {"n": 3}), BY_ARGS),
        ]
    )
    jobs = client.list(JobFilter(newest_first=False)).jobs

    assert count == 3
    plain, full, unique = jobs
    assert (plain.state, plain.queue, plain.priority, plain.max_attempts) == (
        "available",
        "default",
        1,
        25,
    )
    assert (full.state, full.queue, full.priority, full.max_attempts) == ("scheduled", "low", 3, 4)
    assert (full.tags, full.metadata, full.scheduled_at) == (("a", "b-c"), {"m": 1}, later)
    assert unique.unique_states == "11110101"
    assert len(unique.unique_key) == 32


def test_insert_many_fast_leaves_plain_jobs_to_the_column_defaults(client):
    # Plain jobs leave every optional column to River's defaults: the server clock included.
    client.insert_many_fast([RawArgs("bulk", {"n": 1}), RawArgs("bulk", {"n": 2})])
    jobs = client.list(JobFilter(newest_first=False)).jobs

    assert [j.args for j in jobs] == [{"n": 1}, {"n": 2}]
    assert all(j.scheduled_at == j.created_at for j in jobs)  # both the transaction's now()
    assert all((j.state, j.priority, j.tags, j.metadata) == ("available", 1, (), {}) for j in jobs)


def test_progress_is_read_under_the_key_it_is_written_and_parsed_under():
    # queries.py spells the key itself (db/ imports nothing from riverhost.job)
    assert f"'{PROGRESS_KEY}'" in queries.GET_PROGRESS
    assert f"'{PROGRESS_KEY}'" in queries.PROGRESS_MANY


def test_a_copy_statement_names_only_the_columns_in_use():
    plain = _copy_data(_params([RawArgs("k", {})]), _KindDefaults())
    tagged = _copy_data(
        _params([RawArgs("k", {}), InsertParams(RawArgs("k", {}), InsertOpts(tags=("t",)))]),
        _KindDefaults(),
    )

    assert plain.statement == "COPY river_job (args, kind, max_attempts, queue) FROM STDIN"
    assert tagged.statement == "COPY river_job (args, kind, max_attempts, queue, tags) FROM STDIN"
    assert list(tagged.chunks(1)) == ["{}\tk\t25\tdefault\t{}\n", '{}\tk\t25\tdefault\t{"t"}\n']
    assert list(tagged.chunks(2)) == ['{}\tk\t25\tdefault\t{}\n{}\tk\t25\tdefault\t{"t"}\n']


def test_insert_many_fast_fails_the_whole_batch_on_a_unique_conflict(client, database_url):
    client.insert(RawArgs("email", {"a": 1}), BY_ARGS)

    with pytest.raises(psycopg.errors.UniqueViolation):
        client.insert_many_fast(
            [RawArgs("email", {"a": 9}), InsertParams(RawArgs("email", {"a": 1}), BY_ARGS)]
        )
    assert rows(database_url, "SELECT count(*) FROM river_job") == [(1,)]


def test_cancel_of_a_waiting_job_finalizes_it_at_once(client):
    job = client.insert(RawArgs("k", {})).job

    cancelled = client.cancel(job.id)

    assert cancelled.state == "cancelled"
    assert cancelled.finalized_at is not None
    assert "cancel_attempted_at" in cancelled.metadata


def test_retry_makes_a_finalized_job_available_and_gives_it_an_attempt(client, database_url):
    job = client.insert(RawArgs("k", {}), InsertOpts(max_attempts=1)).job
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "UPDATE river_job SET state = 'discarded', attempt = 1, finalized_at = now(), "
            'metadata = \'{"cancel_attempted_at": "2026-01-01T00:00:00Z"}\' WHERE id = %s',
            (job.id,),
        )

    retried = client.retry(job.id)

    assert (retried.state, retried.max_attempts, retried.finalized_at) == ("available", 2, None)
    assert "cancel_attempted_at" not in retried.metadata


def test_delete_removes_a_waiting_job_and_refuses_a_running_one(client, database_url):
    waiting, running = (r.job for r in client.insert_many([RawArgs("k", {}), RawArgs("k", {})]))
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE river_job SET state = 'running' WHERE id = %s", (running.id,))

    deleted = client.delete(waiting.id)
    with pytest.raises(JobRunningError, match=f"cannot delete job {running.id}: it is running"):
        client.delete(running.id)

    assert deleted.id == waiting.id
    assert rows(database_url, "SELECT id FROM river_job") == [(running.id,)]


def test_operations_on_a_missing_job_name_the_id(client):
    for operation in (client.get, client.cancel, client.retry, client.delete, client.get_progress):
        with pytest.raises(JobNotFoundError, match="job 4242 does not exist"):
            operation(4242)


def test_args_without_a_kind_are_refused_naming_their_position(client):
    with pytest.raises(InsertError, match=r"job 1 \(kind ''\) cannot be inserted"):
        client.insert_many([RawArgs("k", {}), RawArgs("", {})])


@pytest.mark.parametrize("insert", ["insert_many", "insert_many_fast"])
def test_a_kind_too_long_for_river_is_refused_before_the_database(client, database_url, insert):
    with pytest.raises(InsertError, match=r"job 1 \(kind 'kkk.*\) .* 128 characters, River"):
        getattr(client, insert)([RawArgs("k", {}), RawArgs("k" * 128, {})])

    assert rows(database_url, "SELECT count(*) FROM river_job") == [(0,)]


def test_a_pool_of_the_caller_s_without_autocommit_gets_commits_and_rollbacks(database_url):
    """The clients take pooled connections by hand; a pool that is not autocommit must still
    see its work committed, and its connection come back clean after a failed statement."""
    with ConnectionPool(database_url, min_size=1, max_size=1, open=True) as pool:
        client = Client(pool)
        first = client.insert(RawArgs("k", {"n": 1}))
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            client._fetch("SELECT 'x'::int", None, None)  # no public call fails in SQL
        second = client.insert(RawArgs("k", {"n": 2}))

    async def on_async_pool():
        async with AsyncConnectionPool(database_url, min_size=1, max_size=1) as pool:
            client = AsyncClient(pool)
            third = await client.insert(RawArgs("k", {"n": 3}))
            with pytest.raises(psycopg.errors.InvalidTextRepresentation):
                await client._fetch("SELECT 'x'::int", None, None)
            return third, await client.insert(RawArgs("k", {"n": 4}))

    third, fourth = asyncio.run(on_async_pool())

    ids = [r.job.id for r in (first, second, third, fourth)]
    assert rows(database_url, "SELECT id FROM river_job ORDER BY id") == [(i,) for i in ids]


def test_list_filters_by_metadata_queue_kind_priority_and_state(client):
    client.insert_many(
        [
            InsertParams(RawArgs("a", {}), InsertOpts(metadata={"tenant": "x"}, priority=2)),
            InsertParams(RawArgs("b", {}), InsertOpts(queue="low")),
        ]
    )

    def kinds(**where):
        return [j.kind for j in client.list(JobFilter(**where)).jobs]

    assert kinds(metadata={"tenant": "x"}) == ["a"]
    assert kinds(queues=["low"]) == ["b"]
    assert kinds(kinds=["a", "b"], priorities=[2]) == ["a"]
    assert kinds(states=[JobState.COMPLETED]) == []


def test_the_async_client_inserts_in_the_caller_s_transaction(database_url):
    async def scenario():
        async with await AsyncClient.connect(database_url) as client:
            async with await psycopg.AsyncConnection.connect(database_url) as conn:
                await client.insert_many_fast([RawArgs("k", {})], conn=conn)
                await client.insert(RawArgs("k", {}), conn=conn)
                await client.insert_many([RawArgs("k", {}), RawArgs("k", {})], conn=conn)
                await conn.rollback()
            return await client.list()

    assert asyncio.run(scenario()).jobs == []


def test_options_kept_between_inserts_follow_a_change_of_the_args_options(client):
    """A client keeps the options of jobs inserted bare, per kind, while the args' own options
    are the same object; other options, or options given with the insert, are read anew."""
    queues = [
        client.insert(RawArgs("k", {})).job.queue,
        client.insert(RawArgs("k", {}, InsertOpts(queue="low"))).job.queue,
        client.insert(RawArgs("k", {}, InsertOpts(queue="high"))).job.queue,
        client.insert(RawArgs("k", {}), InsertOpts(queue="bulk")).job.queue,
        client.insert(RawArgs("k", {})).job.queue,
    ]

    assert queues == ["default", "low", "high", "bulk", "default"]


def test_connecting_to_a_server_that_refuses_says_why_at_once_with_the_password_hidden():
    """Not the pool's 30 s of silent retries and a PoolTimeout naming no cause."""
    url = "postgresql://nobody:secret@127.0.0.1:1/jobs"

    async def connect_async():
        await AsyncClient.connect(url)

    with pytest.raises(DatabaseUnreachableError) as sync_error:
        Client.connect(url)
    with pytest.raises(DatabaseUnreachableError) as async_error:
        asyncio.run(connect_async())

    for error in (sync_error.value, async_error.value):
        assert error.url == "postgresql://nobody:***@127.0.0.1:1/jobs"
        assert "Connection refused" in error.reason
        assert "secret" not in str(error)
