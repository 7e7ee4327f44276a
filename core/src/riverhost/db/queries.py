"""All SQL of the engine and the client, as named constants, each saying what it relies on.

The statements follow River's own (``riverdriver/riverpgxv5/internal/dbsqlc``) so rows written
here are rows River would write: the same states, the same ``errors`` entries, the same
``ON CONFLICT`` predicate for unique jobs, the same NOTIFY channels and payloads. Arrays are
passed whole and ``unnest``-ed so one statement serves one job or thousands; on the hot paths
they travel in binary (``%(name)b``), which spares the client psycopg's text-array escaping,
the largest client cost of a batch. Times come from
the database clock (``now()``), never the host's, so hosts with skewed clocks agree.
Nothing here is assembled from user input; the job listing composes fixed fragments only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import LiteralString

from psycopg import sql

__all__ = [
    "ACTIVITY_RECENT",
    "ACTIVITY_RECORD",
    "CANCEL",
    "CANCEL_ASKED",
    "CLEAN",
    "COMPLETE_COMPLETED",
    "COMPLETE_IN_TX",
    "COMPLETE_MANY",
    "COPY_ALWAYS",
    "COPY_OPTIONAL",
    "DELETE",
    "FETCH",
    "GET",
    "GET_PROGRESS",
    "HOSTS_FORGET",
    "HOSTS_LIVE",
    "HOST_CONTROL",
    "HOST_HEARTBEAT",
    "HOST_STOPPED",
    "INSERT_ALIKE",
    "INSERT_MANY",
    "INSERT_ONE",
    "INSERT_PLAIN",
    "INSERT_PLAIN_QUIET",
    "JOB_COLUMNS",
    "JOB_COUNT_CAPPED",
    "JOB_COUNT_ESTIMATE",
    "JOB_COUNT_EXPLAIN",
    "JOB_EVENTS_FINALIZED",
    "JOB_EVENTS_LATE",
    "JOB_EVENTS_RUNNING",
    "JOB_LIST",
    "JOB_LIST_ALL",
    "JOB_LIST_FILTERS",
    "JOB_LIST_NEWEST_FIRST",
    "JOB_LIST_OLDEST_FIRST",
    "LEADER_ELECT",
    "LEADER_EXPIRE",
    "LEADER_RENEW",
    "LEADER_RESIGN",
    "LIVE_KINDS",
    "LIVE_QUEUES",
    "NOTIFY",
    "NOTIFY_INSERTS",
    "PAUSED_QUEUES",
    "PROGRESS_MANY",
    "QUEUE_LIST",
    "QUEUE_PAUSE",
    "QUEUE_UPSERT",
    "RESCUE_CANDIDATES",
    "RESCUE_MANY",
    "RETRY",
    "SCHEDULE",
    "UNSERVED_KINDS",
    "copy_statement",
    "fetch_statement",
]

JOB_COLUMNS: LiteralString = (
    "id, state, attempt, max_attempts, attempted_at, created_at, finalized_at, scheduled_at, "
    "priority, args, attempted_by, errors, kind, metadata, queue, tags, unique_key, unique_states"
)
"""River's columns in its physical order; :meth:`riverhost.job.Job.from_row` reads this order."""

_J_COLUMNS: LiteralString = (
    "j.id, j.state, j.attempt, j.max_attempts, j.attempted_at, j.created_at, j.finalized_at, "
    "j.scheduled_at, j.priority, j.args, j.attempted_by, j.errors, j.kind, j.metadata, j.queue, "
    "j.tags, j.unique_key, j.unique_states"
)

_J_METADATA: LiteralString = (
    "CASE WHEN jsonb_typeof(j.metadata) = 'object' THEN j.metadata "
    "ELSE jsonb_build_object('original_metadata', j.metadata) END"
)
"""A job's ``metadata`` as an object every write may add keys to: River's rule is an object;
anything else another client wrote (a string, an array, ``null``) is kept whole under
``original_metadata`` (:data:`riverhost.job.ORIGINAL_METADATA_KEY`, which reads it back the
same way). Without it ``'"text"' || '{"output": 1}'`` is an array and the output is lost to
every reader. Every statement that writes ``metadata`` starts from this (or :data:`_METADATA`)."""

_METADATA: LiteralString = _J_METADATA.replace("j.metadata", "metadata")
""":data:`_J_METADATA` for a statement whose ``river_job`` has no alias."""

NOTIFY: LiteralString = "SELECT pg_notify(current_schema() || '.' || %s, %s)"
"""One notification on River's channel ``<schema>.<topic>`` (topic, JSON payload)."""

_NOTIFY_INSERT_Q: LiteralString = (
    "count(pg_notify(current_schema() || '.river_insert', json_build_object('queue', q)::text))"
)
NOTIFY_INSERTS: LiteralString = "SELECT " + _NOTIFY_INSERT_Q + " FROM unnest(%s::text[]) AS q"
"""River's ``river_insert`` notification for every queue in the array, in one statement."""

# ----------------------------------------------------------------------------- insert

_DUPLICATE_COLUMNS: LiteralString = ", ".join(
    "CASE WHEN duplicate THEN " + column + " END" for column in JOB_COLUMNS.split(", ")
)
"""Every job column, for the existing job a unique insert ran into; NULLs for a new job, whose
values the client sent itself (reading back what it just wrote was most of an insert's client
time)."""

_INSERT_HEAD: LiteralString = """
WITH inserted AS (
    INSERT INTO river_job (
        args, kind, max_attempts, metadata, priority, queue, scheduled_at, state, tags,
        unique_key, unique_states
    )
    SELECT
        u.args, u.kind, u.max_attempts, u.metadata, u.priority, u.queue,
        coalesce(u.scheduled_at, now()),
        CASE
            WHEN u.pending THEN 'pending'
            WHEN u.scheduled_at > now() THEN 'scheduled'
            ELSE 'available'
        END::river_job_state,
        string_to_array(u.tags, ',')::varchar(255)[],
        u.unique_key, u.unique_states::bit(8)
"""
_INSERT_TAIL: LiteralString = (
    """
    ON CONFLICT (unique_key)
        WHERE unique_key IS NOT NULL
          AND unique_states IS NOT NULL
          AND river_job_state_in_bitmask(unique_states, state)
        DO UPDATE SET kind = EXCLUDED.kind
    RETURNING river_job.*, (xmax != 0) AS duplicate
)
SELECT
    id, state, created_at, scheduled_at, duplicate,
    (SELECT """
    + _NOTIFY_INSERT_Q
    + """
     FROM (SELECT DISTINCT queue AS q FROM inserted
           WHERE state = 'available' AND NOT duplicate AND queue = ANY(%(notify)s::text[])) AS qs
    ) AS notified,
    """
    + _DUPLICATE_COLUMNS
    + """
FROM inserted
"""
)
_INSERT_COLUMNS: LiteralString = (
    "args, kind, max_attempts, metadata, priority, queue, scheduled_at, pending, tags, "
    "unique_key, unique_states"
)

INSERT_MANY: LiteralString = (
    _INSERT_HEAD
    + """    FROM (
        SELECT r.args, g.kind, g.max_attempts, g.metadata, g.priority, g.queue, g.scheduled_at,
               g.pending, g.tags, k.unique_key, k.unique_states, r.ord
        FROM unnest(%(args)b::jsonb[], %(groups)b::int[]) WITH ORDINALITY AS r(args, grp, ord)
        JOIN unnest(
            %(kinds)b::text[], %(max_attempts)b::smallint[], %(metadata)b::jsonb[],
            %(priorities)b::smallint[], %(queues)b::text[], %(scheduled_at)s::timestamptz[],
            %(pending)b::boolean[], %(tags)b::text[]
        ) WITH ORDINALITY AS g(
            kind, max_attempts, metadata, priority, queue, scheduled_at, pending, tags, grp
        ) ON g.grp = r.grp
        LEFT JOIN unnest(
            %(unique_ords)b::bigint[], %(unique_keys)s::bytea[], %(unique_states)s::text[]
        ) AS k(ord, unique_key, unique_states) ON k.ord = r.ord
    ) AS u
    ORDER BY u.ord"""
    + _INSERT_TAIL
)
"""Insert jobs and NOTIFY ``river_insert`` once per queue in ``notify``.

Per job only its args and its group travel (``groups``: 1-based into the option arrays, one
element per kind and options of the batch) and, for unique jobs alone, key and states by
ordinal (``unique_ords``): a batch's jobs mostly share their options, and encoding eleven
arrays of a thousand elements was most of a batch's client time.

Each row comes back as ``id, state, created_at, scheduled_at, duplicate, notified`` and then
:data:`JOB_COLUMNS`, filled only for a duplicate.

River's ``JobInsertFastMany``: the ``ON CONFLICT`` predicate is the one of the partial unique
index ``river_job_unique_idx``, and the dummy update makes a duplicate return the existing row
unchanged with ``xmax != 0``. Tags travel comma-joined (River's tags cannot hold a comma). Rows
come back in input order. The notification is sent on commit, so a rolled-back insert wakes
nobody.
"""

INSERT_ALIKE: LiteralString = (
    """
INSERT INTO river_job (
    args, kind, max_attempts, metadata, priority, queue, scheduled_at, state, tags
)
SELECT
    a, %(kinds)s::text, %(max_attempts)s::smallint, %(metadata)s::jsonb,
    %(priorities)s::smallint, %(queues)s::text,
    coalesce(%(scheduled_at)s::timestamptz, now()),
    CASE
        WHEN %(pending)s::boolean THEN 'pending'
        WHEN %(scheduled_at)s::timestamptz > now() THEN 'scheduled'
        ELSE 'available'
    END::river_job_state,
    string_to_array(%(tags)s::text, ',')::varchar(255)[]
FROM unnest(%(args)b::jsonb[]) AS a
WHERE (
    SELECT """
    + _NOTIFY_INSERT_Q
    + """ FROM unnest(%(notify)s::text[]) AS q
    WHERE NOT %(pending)s::boolean AND coalesce(%(scheduled_at)s::timestamptz <= now(), true)
) >= 0
RETURNING id, created_at
"""
)
"""Insert jobs alike, of one kind and one set of options, none of them unique, and NOTIFY
``river_insert`` once for their queue if it is in ``notify`` and they are available now.

The batch most callers send, in two thirds of :data:`INSERT_MANY`'s time: no conflict to
arbitrate, no duplicate to return, no option arrays to join, no statement-wide CTE. The
notification is a condition evaluated once (a one-time filter that always holds). Rows go in,
and come back, in the order of ``args``, as with River's own ``unnest`` inserts. Each row
answers ``id`` and ``created_at``: the options are the client's own, and state and
``scheduled_at`` follow from them and ``created_at``, the statement's ``now()``.
"""

INSERT_ONE: LiteralString = (
    _INSERT_HEAD
    + """    FROM (VALUES (
        %(args)s::jsonb, %(kinds)s::text, %(max_attempts)s::smallint,
        %(metadata)s::jsonb, %(priorities)s::smallint, %(queues)s::text,
        %(scheduled_at)s::timestamptz, %(pending)s::boolean, %(tags)s::text,
        %(unique_keys)s::bytea, %(unique_states)s::text
    )) AS u("""
    + _INSERT_COLUMNS
    + ")"
    + _INSERT_TAIL
)
""":data:`INSERT_MANY` for a single job, its parameters scalars: no arrays to encode or unnest,
which is most of a lone insert's client time."""

_PLAIN_VALUES: LiteralString = """
INSERT INTO river_job (args, kind, max_attempts, priority, queue)
SELECT %(args)s::jsonb, %(kinds)s::text, %(max_attempts)s::smallint,
    %(priorities)s::smallint, %(queues)s::text
"""

INSERT_PLAIN: LiteralString = (
    _PLAIN_VALUES
    + "WHERE (SELECT "
    + _NOTIFY_INSERT_Q
    + " FROM (SELECT %(queues)s::text AS q) AS qs) >= 0\nRETURNING id, created_at\n"
)
"""One job with nothing but args, kind, attempts, priority and queue: River's column defaults
do the rest, and without a unique key there is no conflict to handle. :data:`INSERT_ONE`'s
answer, for the job most callers insert, in a third less time. It notifies ``river_insert``
in a one-time filter that always holds, as :data:`INSERT_ALIKE` does, and returns what
:data:`INSERT_ALIKE` returns: the state and ``scheduled_at`` are the defaults'."""

INSERT_PLAIN_QUIET: LiteralString = _PLAIN_VALUES + "RETURNING id, created_at\n"
""":data:`INSERT_PLAIN` without its notification, for a queue the client announced a moment ago
(see ``riverhost.client.notices._InsertNotices``)."""

COPY_ALWAYS: tuple[LiteralString, ...] = ("args", "kind", "max_attempts", "queue")
"""The columns every COPY sends."""
COPY_OPTIONAL: tuple[LiteralString, ...] = (
    "metadata",
    "priority",
    "scheduled_at",
    "state",
    "tags",
    "unique_key",
    "unique_states",
)
"""The columns a COPY sends only when some row of the batch differs from River's column
default: every column left out is one the server need not parse per row."""


def copy_statement(optional: Sequence[LiteralString]) -> LiteralString:
    """The bulk path: rows streamed in COPY's text format into :data:`COPY_ALWAYS` and the
    given :data:`COPY_OPTIONAL` columns (in that order); no rows returned.

    A unique conflict fails the whole batch, as River's ``InsertManyFast`` does.
    """
    return "COPY river_job (" + ", ".join((*COPY_ALWAYS, *optional)) + ") FROM STDIN"


# ----------------------------------------------------------------------------- engine

FETCH: LiteralString = (
    """
WITH locked AS (
    SELECT id
    FROM river_job
    WHERE state = 'available'
      AND (SELECT set_config('synchronous_commit', 'off', true)) = 'off'
      AND queue = {queue}
      AND scheduled_at <= now()
      AND kind = ANY({kinds}::text[])
      AND NOT EXISTS (SELECT FROM river_queue WHERE name = {queue} AND paused_at IS NOT NULL)
    ORDER BY priority, scheduled_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE river_job AS j
SET state = 'running',
    attempt = j.attempt + 1,
    attempted_at = now(),
    attempted_by = CASE
        WHEN array_length(j.attempted_by, 1) >= 100
        THEN array_append(j.attempted_by[array_length(j.attempted_by, 1) - 98:], {client})
        ELSE array_append(j.attempted_by, {client})
    END
WHERE j.id = ANY(ARRAY(SELECT id FROM locked))
RETURNING """
    + _J_COLUMNS
)
"""Lock up to ``limit`` due jobs of one queue and of the kinds this host works; mark them running.

Walks ``river_job_prioritized_fetching_index`` (state, queue, priority, scheduled_at, id) in
order; SKIP LOCKED lets every host fetch at once without waiting on each other. Unlike River it
filters by kind, so a job waits for a host that has its plugin instead of failing. Keeps the
last 99 ``attempted_by`` entries plus this host, as River does.

A queue paused in ``river_queue`` yields nothing, checked once per fetch in the fetch's own
snapshot: the pause notification only spares the round trip. A fetch already on its way when
the notification came, or a host whose listener missed it, would otherwise start jobs inserted
after the pause committed.

The locked ids are matched as an array (``id = ANY(ARRAY(...))``), not joined: a producer's
fetch is a prepared statement, and PostgreSQL's generic plan for it, guessing a tenth of the
table for ``LIMIT $1``, joined by hashing a sequential scan of the whole ``river_job`` (2.3 ms
for 10 jobs out of 10,000, growing with the table) where the array form always probes the
primary key (0.2-0.5 ms).

The fetch's own transaction commits without waiting for its WAL flush (``synchronous_commit``
off for it alone, set in a one-time filter): a WAL flush per fetch was the largest share of a
fetch's round trip. Should PostgreSQL itself crash in the fraction of a second before the WAL
writer flushes it, the fetched jobs are ``available`` again and run again, which at-least-once
delivery allows; a completion, committed synchronously, flushes the fetch's WAL before its own,
so no outcome is ever durable without the fetch it belongs to.

A template: :func:`fetch_statement` writes in one producer's queue, kinds and client id.
"""


def fetch_statement(queue: str, kinds: Sequence[str], client: str) -> bytes:
    """:data:`FETCH` for one producer, its queue, kinds and client id written in as literals.

    A producer's fetch then sends only its limit: its statement is prepared once and its kinds
    array never encoded again (encoding the parameters was a tenth of a small fetch's client
    time).
    """
    statement = FETCH.encode()
    for name, value in (("queue", queue), ("kinds", list(kinds)), ("client", client)):
        # Quoted by psycopg; a '%' doubled so the placeholder parser leaves it alone.
        literal = sql.Literal(value).as_bytes(None).replace(b"%", b"%%")
        statement = statement.replace(b"{" + name.encode() + b"}", literal)
    return statement


COMPLETE_MANY: LiteralString = f"""
WITH u AS (
    SELECT *
    FROM unnest(
        %(ids)b::bigint[], %(attempted_at)b::timestamptz[], %(outcomes)b::text[],
        %(delays)b::interval[], %(errors)b::jsonb[], %(metadata)b::jsonb[]
    ) AS u(id, attempted_at, outcome, delay, error, metadata)
)
UPDATE river_job AS j
SET state = (CASE
        WHEN u.outcome IN ('retryable', 'snoozed') AND j.metadata ? 'cancel_attempted_at'
            THEN 'cancelled'
        WHEN u.outcome IN ('completed', 'cancelled', 'discarded') THEN u.outcome
        WHEN u.outcome = 'interrupted' OR u.delay <= interval '5 seconds' THEN 'available'
        WHEN u.outcome = 'retryable' THEN 'retryable'
        ELSE 'scheduled'
    END)::river_job_state,
    finalized_at = CASE
        WHEN u.outcome IN ('completed', 'cancelled', 'discarded') THEN now()
        WHEN u.outcome IN ('retryable', 'snoozed') AND j.metadata ? 'cancel_attempted_at'
            THEN now()
    END,
    scheduled_at = CASE
        WHEN u.outcome IN ('retryable', 'snoozed', 'interrupted')
            THEN now() + coalesce(u.delay, interval '0')
        ELSE j.scheduled_at
    END,
    attempt = CASE WHEN u.outcome IN ('snoozed', 'interrupted') THEN j.attempt - 1
                   ELSE j.attempt END,
    errors = CASE WHEN u.error IS NULL THEN j.errors ELSE array_append(j.errors, u.error) END,
    metadata = {_J_METADATA} || coalesce(u.metadata, '{{}}') || CASE
        WHEN u.outcome = 'snoozed'
            THEN jsonb_build_object('snoozes', coalesce((j.metadata ->> 'snoozes')::int, 0) + 1)
        ELSE '{{}}'::jsonb
    END
FROM u
WHERE j.id = u.id AND j.state = 'running' AND j.attempted_at IS NOT DISTINCT FROM u.attempted_at
RETURNING j.id, j.state
"""
"""Write many attempts' outcomes in one statement (River's ``JobSetStateIfRunningMany``).

Touches only rows still ``running`` the same attempt (a rescued, restarted or deleted job is
left alone). Outcomes:
``completed``, ``cancelled`` and ``discarded`` finalize; ``retryable`` waits ``delay`` (as
``available`` when due within 5 s, River's scheduler horizon); ``snoozed`` waits without using
an attempt and counts ``metadata.snoozes``; ``interrupted`` (stopped by a host shutdown) is
available again with its attempt given back. A cancel asked while the job ran turns a retry or
snooze into ``cancelled``. Uses the primary key only.
"""

COMPLETE_COMPLETED: LiteralString = """
UPDATE river_job AS j
SET state = 'completed', finalized_at = now()
FROM unnest(%(ids)b::bigint[], %(attempted_at)b::timestamptz[]) AS u(id, attempted_at)
WHERE j.id = u.id AND j.state = 'running' AND j.attempted_at IS NOT DISTINCT FROM u.attempted_at
RETURNING j.id, j.state
"""
""":data:`COMPLETE_MANY` for attempts that completed and recorded nothing (no output, no
error): what most attempts are, in two arrays instead of six and none of the other outcomes'
cases to evaluate per row. Same rule: only rows still running that very attempt."""

COMPLETE_IN_TX: LiteralString = f"""
UPDATE river_job
SET state = 'completed', finalized_at = now(),
    metadata = {_METADATA} || %(metadata)s
WHERE id = %(id)s AND state = 'running' AND attempted_at IS NOT DISTINCT FROM %(attempted_at)s
RETURNING id
"""
"""A worker completing its own job inside its own transaction (River's ``JobCompleteTx``):
the job's completion commits or rolls back with the worker's writes. Same rule as the
completer's: only the row still running that very attempt (primary key only). The completer
later finds the row no longer running and writes nothing for it."""

PAUSED_QUEUES: LiteralString = "SELECT name FROM river_queue WHERE paused_at IS NOT NULL"
"""The queues paused for the fleet (a host's control check; ``river_queue`` is small)."""

CANCEL_ASKED: LiteralString = (
    "SELECT id FROM river_job WHERE id = ANY(%s::bigint[]) AND metadata ? 'cancel_attempted_at'"
)
"""Which of a host's running jobs were asked to cancel (primary key only)."""

PROGRESS_MANY: LiteralString = f"""
UPDATE river_job AS j
SET metadata = {_J_METADATA} || jsonb_build_object('progress', u.progress)
FROM unnest(%(ids)s::bigint[], %(progress)s::jsonb[]) AS u(id, progress)
WHERE j.id = u.id AND j.state = 'running'
"""
"""Store the latest progress report of running jobs (primary key only)."""

SCHEDULE: LiteralString = f"""
WITH due AS (
    SELECT id, state, unique_key, unique_states, priority, scheduled_at
    FROM river_job
    WHERE state IN ('retryable', 'scheduled')
      AND scheduled_at <= now() + %(horizon)s::interval
    ORDER BY priority, scheduled_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
),
entering AS (
    -- Jobs whose move to 'available' would put them into the unique index.
    SELECT id, unique_key, priority, scheduled_at
    FROM due
    WHERE unique_key IS NOT NULL AND unique_states IS NOT NULL
      AND NOT river_job_state_in_bitmask(unique_states, state)
      AND river_job_state_in_bitmask(unique_states, 'available')
),
conflicting AS (
    SELECT e.id
    FROM (SELECT *, row_number() OVER (PARTITION BY unique_key
                                       ORDER BY priority, scheduled_at, id) AS rank
          FROM entering) AS e
    WHERE e.rank > 1 OR EXISTS (
        SELECT 1 FROM river_job AS o
        WHERE o.unique_key = e.unique_key AND o.id <> e.id
          AND o.unique_key IS NOT NULL AND o.unique_states IS NOT NULL
          AND river_job_state_in_bitmask(o.unique_states, o.state))
)
UPDATE river_job AS j
SET state = CASE WHEN c.id IS NULL THEN 'available' ELSE 'discarded' END::river_job_state,
    finalized_at = CASE WHEN c.id IS NULL THEN NULL ELSE now() END,
    metadata = CASE WHEN c.id IS NULL THEN j.metadata
                    ELSE {_J_METADATA} || '{{"unique_key_conflict": "scheduler_discarded"}}' END
FROM due LEFT JOIN conflicting AS c ON c.id = due.id
WHERE j.id = due.id
RETURNING j.queue, j.state, j.scheduled_at <= now() AS due_now
"""
"""Make retryable and scheduled jobs due within ``horizon`` available (River's ``JobSchedule``).

Walks the fetch index by state. A job that would collide in ``river_job_unique_idx`` with a live
job (or with an earlier one of the same batch) is discarded with ``unique_key_conflict``, as
River's scheduler does; the lookup uses the unique index.
"""

QUEUE_UPSERT: LiteralString = """
INSERT INTO river_queue (name, created_at, metadata, paused_at, updated_at)
VALUES (%s, now(), '{}', NULL, now())
ON CONFLICT (name) DO UPDATE SET updated_at = now()
"""
"""Record a queue as served (River's ``QueueCreateOrSetUpdatedAt``)."""

# ----------------------------------------------------------------------------- client

GET: LiteralString = f"SELECT {JOB_COLUMNS} FROM river_job WHERE id = %s"

_RFC3339_NOW: LiteralString = (
    "to_jsonb(to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))"
)

CANCEL: LiteralString = f"""
WITH locked AS (
    SELECT id, queue, state, finalized_at FROM river_job WHERE id = %(id)s FOR UPDATE
),
notification AS (
    SELECT id, pg_notify(
        current_schema() || '.river_control',
        json_build_object('action', 'cancel', 'job_id', id, 'queue', queue)::text)
    FROM locked
    WHERE finalized_at IS NULL
),
updated AS (
    UPDATE river_job AS j
    SET state = CASE WHEN j.state = 'running' THEN j.state ELSE 'cancelled' END,
        finalized_at = CASE WHEN j.state = 'running' THEN j.finalized_at ELSE now() END,
        metadata = jsonb_set({_J_METADATA}, '{{cancel_attempted_at}}', {_RFC3339_NOW}, true)
    FROM notification
    WHERE j.id = notification.id
    RETURNING {_J_COLUMNS}
)
SELECT {JOB_COLUMNS} FROM river_job WHERE id = %(id)s AND id NOT IN (SELECT id FROM updated)
UNION ALL
SELECT * FROM updated
"""
"""River's ``JobCancel``: a waiting job is cancelled now; a running one gets
``metadata.cancel_attempted_at`` (RFC 3339) and a ``river_control`` cancel notification, and its
host stops it. A finalized job is returned unchanged."""

RETRY: LiteralString = f"""
WITH locked AS (SELECT id FROM river_job WHERE id = %(id)s FOR UPDATE),
updated AS (
    UPDATE river_job AS j
    SET state = 'available',
        scheduled_at = now(),
        max_attempts = CASE WHEN j.attempt >= j.max_attempts THEN j.attempt + 1
                            ELSE j.max_attempts END,
        finalized_at = NULL,
        metadata = {_J_METADATA} - 'cancel_attempted_at'
    FROM locked
    WHERE j.id = locked.id
      AND j.state <> 'running'
      AND NOT (j.state = 'available' AND j.scheduled_at <= now())
    RETURNING {_J_COLUMNS}
),
notification AS (
    SELECT pg_notify(current_schema() || '.river_insert', json_build_object('queue', queue)::text)
    FROM updated
)
SELECT {JOB_COLUMNS}, 0 FROM river_job WHERE id = %(id)s AND id NOT IN (SELECT id FROM updated)
UNION ALL
SELECT updated.*, (SELECT count(*) FROM notification) FROM updated
"""
"""River's ``JobRetry``: make a job that is not running available now, raising
``max_attempts`` when it has none left. Unlike River it forgets an old cancel request, so the
retried job is not cancelled again by its next error."""

DELETE: LiteralString = f"""
WITH deleted AS (
    DELETE FROM river_job WHERE id = %(id)s AND state <> 'running' RETURNING *
)
SELECT {JOB_COLUMNS}, true FROM deleted
UNION ALL
SELECT {JOB_COLUMNS}, false FROM river_job WHERE id = %(id)s AND state = 'running'
"""
"""River's ``JobDelete``: delete a job unless it is running (the flag says which happened)."""

GET_PROGRESS: LiteralString = "SELECT metadata -> 'progress' FROM river_job WHERE id = %s"
"""A job's latest progress report: the ``progress`` key of its metadata, the key
:data:`PROGRESS_MANY` writes (:data:`riverhost.job.PROGRESS_KEY`). Primary key only."""

JOB_LIST: LiteralString = (
    "SELECT " + JOB_COLUMNS + " FROM river_job WHERE {where} ORDER BY {order} LIMIT %(limit)s"
)
"""One page of jobs, a ``psycopg.sql`` template: ``{where}`` is the :data:`JOB_LIST_FILTERS` a
listing uses joined by ``AND`` (:data:`JOB_LIST_ALL` when none), plus the cursor condition of
:data:`JOB_LIST_NEWEST_FIRST` or :data:`JOB_LIST_OLDEST_FIRST`, whose order is ``{order}``.

Not a hot path (an operator's or a test's read). Ordered by id, so a page walks the primary key
from its cursor on; a filter on kind may use ``river_job_kind``, on metadata
``river_job_metadata_index`` (GIN, ``@>``), on states the fetch index's ``state`` prefix.
"""

JOB_LIST_ALL: LiteralString = "true"
""":data:`JOB_LIST`'s condition when the listing filters nothing."""

JOB_LIST_FILTERS: Mapping[str, LiteralString] = MappingProxyType(
    {
        "states": "state = ANY(%(states)s::river_job_state[])",
        "queues": "queue = ANY(%(queues)s::text[])",
        "kinds": "kind = ANY(%(kinds)s::text[])",
        "ids": "id = ANY(%(ids)s::bigint[])",
        "tags": "tags @> %(tags)s::varchar(255)[]",
        "priorities": "priority = ANY(%(priorities)s::smallint[])",
        "metadata": "metadata @> %(metadata)s",
    }
)
"""The conditions of :data:`JOB_LIST`, by the field of ``JobFilter`` (and parameter) each reads.
``tags`` matches jobs carrying all of them, ``metadata`` jobs whose metadata contains it."""

JOB_LIST_NEWEST_FIRST: tuple[LiteralString, LiteralString] = ("id DESC", "id < %(after)s")
JOB_LIST_OLDEST_FIRST: tuple[LiteralString, LiteralString] = ("id ASC", "id > %(after)s")
"""A listing's order for :data:`JOB_LIST`, and the condition of the page after the cursor
``after`` in that order."""

# ----------------------------------------------------------------------------- leadership

LEADER_EXPIRE: LiteralString = (
    "DELETE FROM river_leader WHERE name = 'default' AND expires_at < now()"
)
"""First half of River's election (``LeaderDeleteExpired``): clear a lapsed lease."""

LEADER_ELECT: LiteralString = """
WITH won AS (
    INSERT INTO river_leader (leader_id, elected_at, expires_at)
    VALUES (%(id)s, now(), now() + %(ttl)s::interval)
    ON CONFLICT (name) DO NOTHING
    RETURNING elected_at
)
SELECT
    (SELECT elected_at FROM won),
    (SELECT extract(epoch FROM expires_at - now())::float8 FROM river_leader WHERE name = 'default')
"""
"""Second half (``LeaderAttemptElect``): take the one row if nobody holds it. Returns the term
(``elected_at``) when this host won, else the seconds left on the holder's lease, so a follower
bids again the moment a crashed leader's lease lapses. Run after :data:`LEADER_EXPIRE` in one
transaction."""

LEADER_RENEW: LiteralString = """
UPDATE river_leader
SET expires_at = now() + %(ttl)s::interval
WHERE name = 'default' AND leader_id = %(id)s AND elected_at = %(term)s AND expires_at >= now()
RETURNING expires_at
"""
"""Extend this host's lease, only for the term it won and only before it lapsed."""

LEADER_RESIGN: LiteralString = """
WITH resigned AS (
    DELETE FROM river_leader WHERE name = 'default' AND leader_id = %(id)s RETURNING leader_id
)
SELECT pg_notify(
    current_schema() || '.river_leadership',
    json_build_object('leader_id', leader_id, 'action', 'resigned')::text)
FROM resigned
"""
"""Give the lease up and tell the fleet on ``river_leadership`` so another host bids at once."""

# ----------------------------------------------------------------------------- hosts

HOST_HEARTBEAT: LiteralString = """
INSERT INTO riverhost_host (id, hostname, pid, version, queues, kinds)
VALUES (%(id)s, %(hostname)s, %(pid)s, %(version)s, %(queues)s, %(kinds)s)
ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), stopped_at = NULL
"""
"""Record this host as alive (insert on the first beat, refresh ``heartbeat_at`` after)."""

HOST_STOPPED: LiteralString = (
    "UPDATE riverhost_host SET stopped_at = now(), heartbeat_at = now() WHERE id = %s"
)
"""Mark this host stopped on a clean exit, so nobody waits for its heartbeat to lapse."""

HOSTS_FORGET: LiteralString = """
DELETE FROM riverhost_host
WHERE heartbeat_at < now() - %(keep)s::interval
"""
"""Forget hosts silent for ``keep`` (the rescuer keeps them long enough to rescue their jobs)."""

LIVE_KINDS: LiteralString = """
SELECT kind, max((spec ->> 'timeout_s')::float8)
FROM riverhost_host, jsonb_each(kinds) AS k(kind, spec)
WHERE stopped_at IS NULL AND heartbeat_at >= now() - %(lapse)s::interval
GROUP BY kind
"""
"""Each kind some live host serves, with the longest timeout any of them declares."""

# ----------------------------------------------------------------------------- rescuer

RESCUE_CANDIDATES: LiteralString = """
SELECT j.id, j.kind, j.attempt, j.max_attempts, j.attempted_at, j.errors,
       j.metadata ? 'cancel_attempted_at' AS cancel_asked,
       h.id AS host, h.stopped_at IS NOT NULL OR h.heartbeat_at < now() - %(lapse)s::interval
           AS host_gone,
       extract(epoch FROM now() - j.attempted_at) AS running_s
FROM river_job AS j
LEFT JOIN riverhost_host AS h ON h.id = j.attempted_by[array_length(j.attempted_by, 1)]
WHERE j.state = 'running'
  AND (
      (h.id IS NOT NULL AND (h.stopped_at IS NOT NULL
                             OR h.heartbeat_at < now() - %(lapse)s::interval))
      OR j.attempted_at < now() - %(shortest)s::interval
  )
ORDER BY j.id
LIMIT %(limit)s
"""
"""Running jobs that may need rescue: their host stopped heartbeating, or they have run longer
than the shortest horizon any kind has (the rescuer then checks each against its own kind).

A job whose last ``attempted_by`` is no riverhost host (a Go River client) is judged by its
running time only. Walks the fetch index's ``state`` prefix.
"""

RESCUE_MANY: LiteralString = f"""
WITH u AS (
    SELECT * FROM unnest(
        %(ids)s::bigint[], %(attempted_at)s::timestamptz[], %(outcomes)s::text[],
        %(delays)s::interval[], %(errors)s::jsonb[]
    ) AS u(id, attempted_at, outcome, delay, error)
)
UPDATE river_job AS j
SET state = (CASE
        WHEN j.metadata ? 'cancel_attempted_at' THEN 'cancelled'
        WHEN u.outcome = 'discarded' THEN 'discarded'
        WHEN u.delay <= interval '5 seconds' THEN 'available'
        ELSE 'retryable'
    END)::river_job_state,
    finalized_at = CASE
        WHEN j.metadata ? 'cancel_attempted_at' OR u.outcome = 'discarded' THEN now()
    END,
    scheduled_at = CASE
        WHEN j.metadata ? 'cancel_attempted_at' OR u.outcome = 'discarded' THEN j.scheduled_at
        ELSE now() + u.delay
    END,
    errors = array_append(j.errors, u.error),
    metadata = {_J_METADATA} || jsonb_build_object(
        'river:rescue_count', coalesce((j.metadata ->> 'river:rescue_count')::int, 0) + 1)
FROM u
WHERE j.id = u.id AND j.state = 'running' AND j.attempted_at = u.attempted_at
RETURNING j.id, j.state
"""
"""Rescue jobs, re-checking that each is still running the very attempt that was judged
(River issue #1302): a job that finished or started again meanwhile is left alone."""

# ----------------------------------------------------------------------------- cleaner

CLEAN: LiteralString = """
DELETE FROM river_job
WHERE id IN (
    SELECT id FROM river_job
    WHERE state = %(state)s::river_job_state AND finalized_at < now() - %(keep)s::interval
    ORDER BY finalized_at
    LIMIT %(limit)s
)
"""
"""Delete up to ``limit`` jobs finalized in ``state`` longer than ``keep`` ago.

Uses ``river_job_state_and_finalized_at_index`` (state, finalized_at); small batches keep each
transaction short so the hot path never waits on it.
"""

# ----------------------------------------------------------------------------- queues

QUEUE_PAUSE: LiteralString = """
WITH one AS (
    INSERT INTO river_queue (name, created_at, metadata, paused_at, updated_at)
    SELECT %(queue)s, now(), '{}', CASE WHEN %(pause)s THEN now() END, now()
    WHERE %(queue)s <> '*'
    ON CONFLICT (name) DO UPDATE
    SET paused_at = CASE WHEN %(pause)s THEN coalesce(river_queue.paused_at, now()) END,
        updated_at = now()
    RETURNING name
),
every_queue AS (
    UPDATE river_queue
    SET paused_at = CASE WHEN %(pause)s THEN coalesce(paused_at, now()) END, updated_at = now()
    WHERE %(queue)s = '*'
    RETURNING name
)
SELECT pg_notify(
    current_schema() || '.river_control',
    json_build_object('action', CASE WHEN %(pause)s THEN 'pause' ELSE 'resume' END,
                      'queue', %(queue)s)::text)
"""
"""Pause or resume one queue (or ``*``, all) for the whole fleet, River's way: ``paused_at`` in
``river_queue`` and a ``river_control`` notification. A queue no host has served yet is
recorded paused, so hosts that start later respect it."""

QUEUE_LIST: LiteralString = """
WITH counts AS (
    SELECT queue, state::text AS state, count(*) AS n
    FROM river_job
    WHERE state IN ('available', 'running', 'retryable', 'scheduled', 'pending')
    GROUP BY queue, state
)
SELECT coalesce(q.name, c.queue) AS name, q.paused_at, q.updated_at,
       coalesce(jsonb_object_agg(c.state, c.n) FILTER (WHERE c.state IS NOT NULL), '{}')
FROM river_queue AS q FULL JOIN counts AS c ON c.queue = q.name
GROUP BY 1, 2, 3
ORDER BY 1
"""
"""Every queue with its pause state and its count of unfinished jobs per state.

Counts only states that are not final (finalized jobs pile up until cleaned and counting them
is what made River's listing slow, issue #746); uses the fetch index's (state, queue) prefix.
"""

LIVE_QUEUES: LiteralString = """
SELECT DISTINCT q.queue
FROM riverhost_host, jsonb_object_keys(queues) AS q(queue)
WHERE stopped_at IS NULL AND heartbeat_at >= now() - %(lapse)s::interval
"""
"""The queues some live host serves (``riverhost_host`` is small: one row per host process)."""

UNSERVED_KINDS: LiteralString = """
WITH RECURSIVE kinds(kind) AS (
    (SELECT kind FROM river_job ORDER BY kind LIMIT 1)
    UNION ALL
    SELECT (SELECT j.kind FROM river_job AS j WHERE j.kind > kinds.kind ORDER BY j.kind LIMIT 1)
    FROM kinds
    WHERE kinds.kind IS NOT NULL
), unserved AS (
    SELECT kind FROM kinds
    WHERE kind IS NOT NULL
      AND kind NOT IN (
          SELECT k.kind FROM riverhost_host, jsonb_object_keys(kinds) AS k(kind)
          WHERE stopped_at IS NULL AND heartbeat_at >= now() - %(lapse)s::interval)
)
SELECT queue, kind, count(*)
FROM river_job
WHERE kind IN (SELECT kind FROM unserved) AND state IN ('available', 'retryable', 'scheduled')
GROUP BY queue, kind
ORDER BY queue, kind
"""
"""Waiting jobs whose kind no live host serves (they wait for a host with that plugin).

The kinds in the table are listed first by skipping through ``river_job_kind`` (one probe a
kind), and waiting jobs are counted only for kinds no live host serves; when every kind is
served the semi-join's inner side is empty and the waiting jobs are never read. On 1,000,000
jobs (83,000 waiting, 20 kinds, this machine): all served 141 -> 0.9 ms, one unserved 185 ->
147 ms, none served (no live host, e.g. ``riverhost serve`` alone) 221 -> 192 ms. (A per-kind
lateral scan of ``river_job_kind`` was tried and read whole histories: 264 ms with none
served.)"""

HOST_CONTROL: LiteralString = """
SELECT pg_notify(current_schema() || '.riverhost_control',
                 json_build_object('action', %(action)s::text, 'queue', %(queue)s::text,
                                   'host', %(host)s::text)::text)
"""
"""riverhost's own control message to one host (River's channel has no host field)."""


# --------------------------------------------------------------------------- operators

ACTIVITY_RECORD: LiteralString = """
INSERT INTO riverhost_activity (actor, via, action, job_id, queue, detail)
VALUES (%(actor)s, %(via)s, %(action)s, %(job_id)s, %(queue)s, %(detail)s)
"""
"""One operator action (admin API or CLI)."""

ACTIVITY_RECENT: LiteralString = """
SELECT id, at, actor, via, action, job_id, queue, detail
FROM riverhost_activity
WHERE (%(job_id)s::bigint IS NULL OR job_id = %(job_id)s)
ORDER BY id DESC
LIMIT %(limit)s
"""
"""The newest operator actions, all or one job's (primary key; the job_id index)."""

HOSTS_LIVE: LiteralString = """
SELECT h.id, h.hostname, h.pid, h.version, h.started_at, h.heartbeat_at, h.queues, h.kinds,
       h.id = (SELECT leader_id FROM river_leader WHERE name = 'default' AND expires_at > now())
FROM riverhost_host AS h
WHERE h.stopped_at IS NULL AND h.heartbeat_at > now() - %(lapse)s::interval
ORDER BY h.started_at
"""
"""The live hosts (heartbeat within the lapse), each with whether it leads now."""

JOB_COUNT_ESTIMATE: LiteralString = """
SELECT reltuples::bigint FROM pg_class WHERE oid = 'river_job'::regclass
"""
"""The planner's row estimate of ``river_job``: free, and good enough past a million rows."""

JOB_EVENTS_FINALIZED: LiteralString = """
SELECT id, kind, queue, state::text, finalized_at
FROM river_job
WHERE state IN ('completed', 'cancelled', 'discarded')
  AND (finalized_at, id) > (%(after)s, %(after_id)s)
ORDER BY finalized_at, id
LIMIT %(limit)s
"""
"""The next page of jobs finalized after a ``(finalized_at, id)`` cursor, for the event stream
(river_job_state_and_finalized_at_index). The cursor has the id because a completer batch
finalizes up to 2,000 jobs at one ``finalized_at``."""

JOB_EVENTS_LATE: LiteralString = """
SELECT id, kind, queue, state::text, finalized_at
FROM river_job
WHERE state IN ('completed', 'cancelled', 'discarded')
  AND finalized_at > %(since)s
  AND (finalized_at, id) <= (%(after)s, %(after_id)s)
ORDER BY finalized_at DESC, id DESC
LIMIT %(limit)s
"""
"""Jobs finalized just before the event stream's cursor, newest first: ``finalized_at`` is its
transaction's start, so a transaction that commits late shows a row behind the cursor."""

JOB_EVENTS_RUNNING: LiteralString = """
SELECT id, kind, queue, metadata -> 'progress'
FROM river_job
WHERE state = 'running'
ORDER BY id
LIMIT 1000
"""
"""Running jobs with their progress, for the event stream (river_job_prioritized_fetching_index,
whose first column is the state)."""

JOB_COUNT_CAPPED: LiteralString = """
SELECT count(*) FROM (SELECT 1 FROM river_job WHERE {where} LIMIT %(cap)s) AS capped
"""
"""How many jobs a listing's filter matches, counting no further than ``cap`` (the filter's
own indexes; a filter on nothing counts the primary key up to the cap)."""

JOB_COUNT_EXPLAIN: LiteralString = """
EXPLAIN (FORMAT JSON) SELECT 1 FROM river_job WHERE {where}
"""
"""The planner's estimate of how many jobs a filter matches: what a listing's total says once
the exact count passes its cap."""
