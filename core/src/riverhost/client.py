"""The client: insert jobs and read, cancel, retry and delete them, sync and async.

:class:`AsyncClient` and :class:`Client` have the same methods; the statement each method runs
and how its result is read are built once, by the ``_`` functions below, so the two flavours
differ only in ``await``. Every method takes an optional ``conn``: the caller's own psycopg
connection, inside the caller's transaction, so a job exists only if that transaction commits.
Without it the client uses its pool, one statement per call.

A client built with a :class:`~riverhost.registry.Registry` fills insert options from the
declared kinds (queue, priority, attempts, uniqueness); one without knows only the args classes'
own options and the defaults, and can insert any kind.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, LiteralString, cast

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from riverhost.args import InsertOpts, JobArgs, RawArgs, ResolvedOpts, resolve_opts
from riverhost.db import adapt, queries
from riverhost.db.connect import redact
from riverhost.db.cursors import AsyncCursors, Cursors
from riverhost.db.unique import unique_key, unique_key_string, unique_states_bitmask
from riverhost.errors import (
    DatabaseUnreachableError,
    InsertError,
    JobNotFoundError,
    JobRunningError,
)
from riverhost.job import (
    PROGRESS_KEY,
    InsertResult,
    Job,
    JobPage,
    JobProgress,
    QueueInfo,
    job_state,
    new_job,
)
from riverhost.jobs import JobKind, JobState

__all__ = ["NOTICE_TRAIL", "NOTICE_WINDOW", "AsyncClient", "Client", "InsertParams", "JobFilter"]

Args = JobArgs | RawArgs
_Conn = psycopg.Connection[Any]
_AsyncConn = psycopg.AsyncConnection[Any]


@dataclass(frozen=True)
class InsertParams:
    """One job of a batch: its args and, optionally, options that win over the defaults.

    ``unique`` is an explicit ``(unique_key, unique_states mask)`` that replaces the key the
    options would compute (periodic jobs key each tick this way).
    """

    args: Args
    opts: InsertOpts | None = None
    unique: tuple[bytes, int] | None = None


@dataclass(frozen=True)
class JobFilter:
    """Which jobs :meth:`AsyncClient.list` returns; every field left empty matches all.

    ``tags`` matches jobs carrying all of them; ``metadata`` matches jobs whose metadata
    contains that object (jsonb ``@>``). ``after`` is the cursor of the previous page.
    """

    states: Sequence[JobState] = ()
    queues: Sequence[str] = ()
    kinds: Sequence[str] = ()
    ids: Sequence[int] = ()
    tags: Sequence[str] = ()
    priorities: Sequence[int] = ()
    metadata: Mapping[str, Any] | None = None
    newest_first: bool = True
    after: int | None = None
    limit: int = 100


@dataclass
class _KindDefaults:
    """What the client knows of declared kinds, for filling insert options."""

    kinds: Mapping[str, JobKind] = field(default_factory=dict)
    max_attempts: int = 25
    _bare: dict[str, tuple[InsertOpts, ResolvedOpts]] = field(default_factory=dict)

    def resolve(self, kind: str, call: InsertOpts | None, declared: InsertOpts) -> ResolvedOpts:
        """The options of a job of ``kind``. Those of a job inserted with no options of its own
        are kept from one insert to the next while its args class's options stay the same."""
        if call is None:
            kept = self._bare.get(kind)
            if kept is not None and kept[0] is declared:
                return kept[1]
        opts = resolve_opts(
            call, declared, self.kinds.get(kind), default_max_attempts=self.max_attempts
        )
        if call is None:
            if len(self._bare) >= _BARE_KEPT:
                self._bare.clear()
            self._bare[kind] = (declared, opts)
        return opts


_BARE_KEPT = 1000
"""Kinds whose bare options a client keeps at most (RawArgs may name kinds without end)."""


NOTICE_WINDOW = 0.005
"""Seconds after announcing a queue in which a client's next plain insert into it stays quiet."""
NOTICE_TRAIL = 0.025
"""Seconds after an insert notification at which a host fetches once more: after
:data:`NOTICE_WINDOW`, with room for the quiet insert's own statement to commit."""


class _InsertNotices:
    """Which queues an insert on the client's own connection announces (``river_insert``).

    River's clients announce a queue at most once per fetch cooldown, as its workers fetch at
    most that often. riverhost hosts fetch at once, so riverhost's limiter is much tighter: a
    plain single insert, or a COPY, leaves a queue it announced less than
    :data:`NOTICE_WINDOW` ago unannounced, and a host that hears an announcement fetches again
    :data:`NOTICE_TRAIL` later, which finds the quiet ones. Under a listening host a
    notification cost an insert a sixth of its time, and every host a fetch. Inserts on the
    caller's connection always announce: their commit, and so their notification, may come any
    time later.
    """

    def __init__(self) -> None:
        self._sent: dict[str, float] = {}

    def due(self, queues: Iterable[str]) -> list[str]:
        """The ``queues`` not announced within :data:`NOTICE_WINDOW`."""
        now = time.monotonic()
        return [q for q in queues if now - self._sent.get(q, -NOTICE_WINDOW) >= NOTICE_WINDOW]

    def sent(self, queues: Iterable[str]) -> None:
        """``queues`` were announced (the statement that did it has committed)."""
        now = time.monotonic()
        for queue in queues:
            self._sent[queue] = now

    def plain(self, statement: LiteralString, params: dict[str, Any]) -> LiteralString:
        """:data:`queries.INSERT_PLAIN_QUIET` for an :data:`queries.INSERT_PLAIN` whose queue
        was just announced; any other statement as it is (they announce what they insert)."""
        if statement is queries.INSERT_PLAIN and not self.due((params["queues"],)):
            return queries.INSERT_PLAIN_QUIET
        return statement

    def inserted(self, statement: LiteralString, params: dict[str, Any]) -> None:
        """After :meth:`plain`'s statement committed: note what it announced."""
        if statement is queries.INSERT_PLAIN:
            self.sent((params["queues"],))


# ----------------------------------------------------------------------------- statements


@dataclass(slots=True)
class _Row:
    """One job ready to insert, its options resolved and its unique key computed.

    Rows of one batch share their :class:`ResolvedOpts`: a row is built per job, cheaply.
    """

    args: str  # JSON text
    kind: str
    opts: ResolvedOpts
    unique_key: bytes | None
    unique_states: int | None


_TOO_DEEP = "its args nest too deeply"
_KIND_LIMIT = 128
"""River's ``kind_length`` check: a kind is shorter than this."""


def _rows(items: Sequence[Args | InsertParams], defaults: _KindDefaults) -> list[_Row]:
    """Resolve every item's options (call, args class, declared kind, defaults) and key."""
    now: datetime | None = None  # one moment for the batch's unique keys, read at the first
    rows = []
    # Items of one batch mostly share their option objects: resolve each combination once,
    # and the one the item before used without so much as a lookup.
    resolved: dict[tuple[str, int, int], ResolvedOpts] = {}
    last: tuple[str, InsertOpts | None, InsertOpts] | None = None
    opts: ResolvedOpts | None = None
    for index, item in enumerate(items):
        if isinstance(item, InsertParams):
            args, call, explicit = item.args, item.opts, item.unique
        else:
            args, call, explicit = item, None, None
        kind = args.kind
        if not kind:
            raise InsertError(index, "", f"{type(args).__name__} sets no kind")
        if len(kind) >= _KIND_LIMIT:
            raise InsertError(index, kind, f"its kind is {len(kind)} characters, River takes 127")
        declared = args.insert_opts
        if (
            opts is None
            or last is None
            or kind is not last[0]
            or call is not last[1]
            or declared is not last[2]
        ):
            layers = (kind, id(call), id(declared))
            opts = resolved.get(layers)
            if opts is None:
                opts = resolved[layers] = defaults.resolve(kind, call, declared)
            last = (kind, call, declared)
        key = states = None
        if opts.unique is not None and opts.unique.is_unique:
            if now is None:
                now = datetime.now(UTC)
            try:
                text = unique_key_string(
                    kind=kind,
                    queue=opts.queue,
                    encoded_args=args.to_json(),
                    opts=opts.unique,
                    now=now,
                    scheduled_at=opts.scheduled_at,
                )
            except RecursionError as exc:
                raise InsertError(index, kind, _TOO_DEEP + " to compute a unique key") from exc
            key = unique_key(text)
            states = unique_states_bitmask(opts.unique.by_state)
        if explicit is not None:
            key, states = explicit
        try:
            text = args.to_json_text()
        except RecursionError as exc:
            raise InsertError(index, kind, _TOO_DEEP + " to encode") from exc
        rows.append(_Row(text, kind, opts, key, states))
    return rows


def _insert_statement(
    items: Sequence[Args | InsertParams], defaults: _KindDefaults
) -> tuple[LiteralString, dict[str, Any], list[_Row], list[int]]:
    """The insert statement and parameters, the rows sent, and for each item which row answers.

    Two items of one batch with the same unique key would make PostgreSQL refuse the
    statement, so the later ones are not sent: they answer with the first one's row, marked
    duplicate, exactly as if they had been inserted one after the other.
    """
    sent: list[_Row] = []
    answers: list[int] = []
    first_by_key: dict[bytes, int] = {}
    for row in _rows(items, defaults):
        if row.unique_key is not None:
            if row.unique_key in first_by_key:
                answers.append(-1 - first_by_key[row.unique_key])
                continue
            first_by_key[row.unique_key] = len(sent)
        answers.append(len(sent))
        sent.append(row)
    if len(sent) == 1:
        statement, params = _single_insert(sent[0])
        return statement, params, sent, answers
    first = sent[0]
    if all(r.opts is first.opts and r.unique_key is None for r in sent):
        params = _option_params(first, [r.args for r in sent])
        return queries.INSERT_ALIKE, params, sent, answers
    return queries.INSERT_MANY, _batch_params(sent), sent, answers


def _single_insert(r: _Row) -> tuple[LiteralString, dict[str, Any]]:
    """:data:`queries.INSERT_PLAIN` when the defaults do, else :data:`queries.INSERT_ONE`."""
    if r.unique_key is None and _plain(r.opts):
        opts = r.opts
        return queries.INSERT_PLAIN, {
            "args": r.args,
            "kinds": r.kind,
            "max_attempts": opts.max_attempts,
            "priorities": opts.priority,
            "queues": opts.queue,
        }
    return queries.INSERT_ONE, {
        **_option_params(r, r.args),
        "unique_keys": r.unique_key,
        "unique_states": _states_text(r.unique_states),
    }


def _option_params(r: _Row, args: str | list[str]) -> dict[str, Any]:
    """The parameters :data:`queries.INSERT_ONE` and :data:`queries.INSERT_ALIKE` share: the
    args, and ``r``'s kind and options as scalars."""
    opts = r.opts
    return {
        "args": args,
        "kinds": r.kind,
        "max_attempts": opts.max_attempts,
        "priorities": opts.priority,
        "queues": opts.queue,
        "metadata": Jsonb(opts.metadata),
        "scheduled_at": opts.scheduled_at,
        "pending": opts.pending,
        "tags": ",".join(opts.tags),
        "notify": [opts.queue],
    }


def _batch_params(sent: Sequence[_Row]) -> dict[str, Any]:
    """:data:`queries.INSERT_MANY`'s parameters: per job its args and option group."""
    group_of: dict[tuple[str, int], int] = {}
    groups: list[tuple[str, ResolvedOpts]] = []
    row_groups = []
    for r in sent:
        group = group_of.get((r.kind, id(r.opts)))
        if group is None:
            groups.append((r.kind, r.opts))
            group = group_of[r.kind, id(r.opts)] = len(groups)
        row_groups.append(group)
    unique = [(ord_, r) for ord_, r in enumerate(sent, 1) if r.unique_key is not None]
    return {
        "args": [r.args for r in sent],
        "groups": row_groups,
        "kinds": [kind for kind, _ in groups],
        "max_attempts": [opts.max_attempts for _, opts in groups],
        "metadata": [Jsonb(opts.metadata) for _, opts in groups],
        "priorities": [opts.priority for _, opts in groups],
        "queues": [opts.queue for _, opts in groups],
        "scheduled_at": [opts.scheduled_at for _, opts in groups],
        "pending": [opts.pending for _, opts in groups],
        "tags": [",".join(opts.tags) for _, opts in groups],
        "unique_ords": [ord_ for ord_, _ in unique],
        "unique_keys": [r.unique_key for _, r in unique],
        "unique_states": [_states_text(r.unique_states) for _, r in unique],
        "notify": sorted({opts.queue for _, opts in groups}),
    }


def _plain(opts: ResolvedOpts) -> bool:
    """Whether River's column defaults give every option but attempts, priority and queue."""
    return not (opts.metadata or opts.tags or opts.pending or opts.scheduled_at is not None)


def _states_text(mask: int | None) -> str | None:
    """A ``unique_states`` bitmask as ``bit(8)`` text."""
    return None if mask is None else f"{mask:08b}"


@dataclass(frozen=True, slots=True)
class _CopyBatch:
    """A COPY ready to stream: its statement, its rows and the queues to notify.

    ``texts`` holds, per options object of the batch, the text of a line after the args: kind,
    max_attempts, queue and the optional columns sent (each row's options are resolved per kind
    in :func:`_rows`, so an options object belongs to one kind). ``unique`` says whether the
    unique columns go too; they are the last two, the only ones written per row.
    """

    statement: LiteralString
    rows: list[_Row]
    texts: dict[int, str]
    unique: bool
    queues: list[str]

    def chunks(self, size: int) -> Iterator[str]:
        """The rows in COPY's text format, ``size`` lines at a time, each chunk built only when
        asked for: the server stores one chunk while the next is being written."""
        texts, unique = self.texts, self.unique
        for start in range(0, len(self.rows), size):
            lines = []
            for r in self.rows[start : start + size]:
                line = r.args.replace("\\", "\\\\") + texts[id(r.opts)]
                if unique:
                    key = "\\N" if r.unique_key is None else "\\\\x" + r.unique_key.hex()
                    states = "\\N" if r.unique_states is None else f"{r.unique_states:08b}"
                    line += "\t" + key + "\t" + states
                lines.append(line)
            yield "\n".join(lines) + "\n"


#: What a row that needs no value of its own writes in a :data:`queries.COPY_OPTIONAL` column
#: another row of the batch needs (``scheduled_at`` is the only one with no fixed text).
_COPY_DEFAULT_TEXT = ("{}", "1", None, "available", "{}")


def _copy_data(items: Sequence[Args | InsertParams], defaults: _KindDefaults) -> _CopyBatch:
    """The COPY of these items in COPY's text format, and the queues to notify.

    Built as text: no per-value adaptation, so the client keeps up with the server. JSON text
    holds no raw tab, newline or carriage return (JSON escapes them), so doubling its
    backslashes is all the escaping COPY needs; kinds, queues and tags are validated to safe
    characters. Optional columns go only when a row needs them; a row whose column goes for
    another's sake writes River's default, and for ``scheduled_at`` the client's clock (COPY
    cannot ask for ``now()`` per row), as River's ``InsertManyFast`` does. The text of a batch's
    options is made once per options object, not per row.
    """
    now = datetime.now(UTC)
    rows = _rows(items, defaults)
    queues = set()
    optional: dict[int, tuple[str, ResolvedOpts, tuple[str | None, ...]]] = {}
    unique = False
    for r in rows:
        if id(r.opts) not in optional:
            values = _copy_optional(r.opts, now)
            optional[id(r.opts)] = (r.kind, r.opts, values)
            if values[3] is None:  # neither pending nor scheduled: available now
                queues.add(r.opts.queue)
        if r.unique_key is not None or r.unique_states is not None:
            unique = True
    sent = [
        i
        for i in range(len(_COPY_DEFAULT_TEXT))
        if any(values[i] is not None for _, _, values in optional.values())
    ]
    fallback = {i: _COPY_DEFAULT_TEXT[i] or now.isoformat() for i in sent}
    texts = {}
    for key, (kind, opts, values) in optional.items():
        fields = [kind, str(opts.max_attempts), opts.queue]
        for i in sent:
            value = values[i]
            fields.append(fallback[i] if value is None else value)
        texts[key] = "\t" + "\t".join(fields)
    columns = [queries.COPY_OPTIONAL[i] for i in sent]
    if unique:
        columns += queries.COPY_OPTIONAL[len(_COPY_DEFAULT_TEXT) :]
    statement = queries.copy_statement(columns)
    return _CopyBatch(statement, rows, texts, unique, sorted(queues))


def _copy_optional(opts: ResolvedOpts, now: datetime) -> tuple[str | None, ...]:
    """The text of the option columns of :data:`queries.COPY_OPTIONAL` before the unique ones
    (metadata, priority, scheduled_at, state, tags); ``None`` where River's default holds."""
    scheduled = opts.scheduled_at
    if opts.pending:
        state: str | None = "pending"
    elif scheduled is not None and scheduled > now:
        state = "scheduled"
    else:
        state = None
    return (
        json.dumps(opts.metadata, separators=(",", ":")).replace("\\", "\\\\")
        if opts.metadata
        else None,
        None if opts.priority == 1 else str(opts.priority),
        None if scheduled is None else scheduled.isoformat(),
        state,
        "{" + ",".join(f'"{tag}"' for tag in opts.tags) + "}" if opts.tags else None,
    )


_COPY_CHUNK = 100
"""Lines per write to the COPY stream: the server stores one chunk while the next is built."""


def _insert_results(
    statement: LiteralString,
    rows: Sequence[Sequence[Any]],
    sent: Sequence[_Row],
    answers: Sequence[int],
) -> list[InsertResult]:
    """Results in the order asked: a new job built, when first read, from what was sent and
    the columns the database chose; a duplicate read whole from the row it returned."""
    if statement in _ALIKE_SHAPED:
        opts = sent[0].opts
        build = partial(_alike_job, rows, sent, _alike_state(opts, rows[0][1]), opts.scheduled_at)
        return [
            InsertResult.built_later(build, i, duplicate=False)
            for i, _ in enumerate(zip(rows, sent, strict=True))
        ]
    build = partial(_batch_job, rows, sent)
    results = [
        InsertResult(Job.from_row(row[6:]), duplicate=True)
        if row[4]
        else InsertResult.built_later(build, i, duplicate=False)
        for i, (row, _) in enumerate(zip(rows, sent, strict=True))
    ]
    return [
        results[answer] if answer >= 0 else InsertResult(results[-1 - answer].job, duplicate=True)
        for answer in answers
    ]


_ALIKE_SHAPED = (queries.INSERT_ALIKE, queries.INSERT_PLAIN, queries.INSERT_PLAIN_QUIET)
"""Statements that return only ``id, created_at``, their jobs' other columns being the sent
options' (:func:`_alike_job`)."""


def _batch_job(rows: Sequence[Sequence[Any]], sent: Sequence[_Row], i: int) -> Job[dict[str, Any]]:
    """The new job of :data:`queries.INSERT_MANY`'s row ``i``: the four columns it chose."""
    row = rows[i]
    return _new_job(row[0], job_state(row[1]), row[2], row[3], sent[i])


def _alike_state(opts: ResolvedOpts, now: datetime) -> JobState:
    """The state of :data:`queries.INSERT_ALIKE`'s jobs, as the statement derived it from the
    options and its ``now()``."""
    if opts.pending:
        return JobState.PENDING
    if opts.scheduled_at is not None and opts.scheduled_at > now:
        return JobState.SCHEDULED
    return JobState.AVAILABLE


def _alike_job(
    rows: Sequence[Sequence[Any]],
    sent: Sequence[_Row],
    state: JobState,
    scheduled: datetime | None,
    i: int,
) -> Job[dict[str, Any]]:
    """The job of :data:`queries.INSERT_ALIKE`'s row ``i`` (``id``, ``created_at``); with no
    ``scheduled`` time of its own it was scheduled at its creation."""
    id_, created = rows[i]
    return _new_job(id_, state, created, scheduled or created, sent[i])


def _new_job(
    id_: int, state: JobState, created_at: datetime, scheduled_at: datetime, sent: _Row
) -> Job[dict[str, Any]]:
    opts = sent.opts
    return new_job(
        id_,
        sent.kind,
        adapt.loads(sent.args),
        state,
        opts.queue,
        opts.priority,
        0,  # attempt
        opts.max_attempts,
        created_at,
        scheduled_at,
        None,  # attempted_at
        None,  # finalized_at
        (),  # attempted_by
        (),  # errors
        dict(opts.metadata),
        opts.tags,
        sent.unique_key,
        _states_text(sent.unique_states),
    )


CONNECT_TIMEOUT = 10
"""Seconds :meth:`AsyncClient.connect` waits for the server. It tries one connection before
opening its pool: a pool retries in silence for its whole timeout and then names no cause."""


def _unreachable(url: str, exc: psycopg.OperationalError) -> DatabaseUnreachableError:
    return DatabaseUnreachableError(redact(url), str(exc).strip())


def _params(items: Iterable[Args | InsertParams]) -> Sequence[Args | InsertParams]:
    """The items as a sequence; args alone stand for themselves (no InsertParams per job)."""
    return items if isinstance(items, Sequence) else list(items)


def _list_statement(where: JobFilter) -> tuple[sql.Composed, dict[str, Any]]:
    clauses: list[sql.Composable] = []
    params: dict[str, Any] = {"limit": where.limit}
    checks: list[tuple[str, Sequence[Any], LiteralString]] = [
        ("states", [str(s) for s in where.states], "state = ANY(%(states)s::river_job_state[])"),
        ("queues", where.queues, "queue = ANY(%(queues)s::text[])"),
        ("kinds", where.kinds, "kind = ANY(%(kinds)s::text[])"),
        ("ids", where.ids, "id = ANY(%(ids)s::bigint[])"),
        ("tags", where.tags, "tags @> %(tags)s::varchar(255)[]"),
        ("priorities", where.priorities, "priority = ANY(%(priorities)s::smallint[])"),
    ]
    for name, values, clause in checks:
        if values:
            params[name] = list(values)
            clauses.append(sql.SQL(clause))
    if where.metadata:
        params["metadata"] = Jsonb(dict(where.metadata))
        clauses.append(sql.SQL("metadata @> %(metadata)s"))
    if where.after is not None:
        params["after"] = where.after
        clauses.append(sql.SQL("id < %(after)s" if where.newest_first else "id > %(after)s"))
    condition = sql.SQL(" AND ").join(clauses) if clauses else sql.SQL("true")
    order = sql.SQL("id DESC" if where.newest_first else "id ASC")
    statement = sql.SQL(
        "SELECT " + queries.JOB_COLUMNS + " FROM river_job WHERE {} ORDER BY {} LIMIT %(limit)s"
    ).format(condition, order)
    return statement, params


def _page(rows: Sequence[Sequence[Any]], limit: int) -> JobPage:
    jobs = [Job.from_row(row) for row in rows]
    return JobPage(jobs, jobs[-1].id if len(jobs) == limit and jobs else None)


def _one(row: Sequence[Any] | None, job_id: int) -> Job[dict[str, Any]]:
    if row is None:
        raise JobNotFoundError(job_id)
    return Job.from_row(row)


def _deleted(row: Sequence[Any] | None, job_id: int) -> Job[dict[str, Any]]:
    job = _one(row, job_id)
    if row is not None and not row[18]:
        raise JobRunningError(job_id, "delete")
    return job


def _progress(row: Sequence[Any] | None, job_id: int) -> JobProgress | None:
    if row is None:
        raise JobNotFoundError(job_id)
    value = row[0]
    return JobProgress.model_validate(value) if isinstance(value, Mapping) else None


def _queues(rows: Sequence[Sequence[Any]], unserved: Sequence[Sequence[Any]]) -> list[QueueInfo]:
    by_queue: dict[str, dict[str, int]] = {}
    for queue, kind, count in unserved:
        by_queue.setdefault(queue, {})[kind] = count
    queues = [
        QueueInfo(name, paused_at, updated_at, counts, by_queue.pop(name, {}))
        for name, paused_at, updated_at, counts in rows
    ]
    queues += [QueueInfo(name, None, None, {}, kinds) for name, kinds in by_queue.items()]
    return sorted(queues, key=lambda q: q.name)


def _pause_params(
    queue: str, pause: bool, host: str | None
) -> tuple[LiteralString, dict[str, Any]]:
    if host is None:
        return queries.QUEUE_PAUSE, {"queue": queue, "pause": pause}
    action = "pause" if pause else "resume"
    return queries.HOST_CONTROL, {"queue": queue, "action": action, "host": host}


_QueueList = list[QueueInfo]  # the classes' own ``list`` method shadows the builtin in them

#: How long a host may go without a heartbeat before it no longer counts as serving its kinds.
_LIVE_LAPSE = timedelta(seconds=10)

_PROGRESS: LiteralString = f"SELECT metadata -> '{PROGRESS_KEY}' FROM river_job WHERE id = %s"


def _defaults(registry: Any) -> _KindDefaults:
    if registry is None:
        return _KindDefaults()
    return _KindDefaults(
        kinds={name: reg.spec for name, reg in registry.kinds.items()},
        max_attempts=registry.config.jobs.max_attempts,
    )


# ----------------------------------------------------------------------------- clients


class AsyncClient:
    """The asyncio client. Build it with a pool, or with :meth:`connect` from a URL."""

    def __init__(self, pool: AsyncConnectionPool[Any], *, registry: Any = None) -> None:
        self.pool = pool
        self._defaults = _defaults(registry)
        self._notices = _InsertNotices()
        self._cursors = AsyncCursors(pool)

    @classmethod
    async def connect(cls, url: str, *, registry: Any = None, max_size: int = 10) -> AsyncClient:
        """A client with a pool of its own; close it with :meth:`close` (or ``async with``).

        Raises :class:`~riverhost.errors.DatabaseUnreachableError` when the server does not
        accept a connection (see :data:`CONNECT_TIMEOUT`).
        """
        try:
            await (
                await psycopg.AsyncConnection.connect(url, connect_timeout=CONNECT_TIMEOUT)
            ).close()
        except psycopg.OperationalError as exc:
            raise _unreachable(url, exc) from exc
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            open=False,
            kwargs={"autocommit": True},
            configure=adapt.configure_async,
        )
        await pool.open(wait=True)
        return cls(pool, registry=registry)

    async def close(self) -> None:
        await self.pool.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _fetch(
        self, statement: Any, params: Any, conn: _AsyncConn | None
    ) -> list[tuple[Any, ...]]:
        """Run ``statement`` on ``conn``, or on a leased pooled connection; return its rows."""
        if conn is not None:
            theirs = await conn.execute(statement, params)
            return cast("list[tuple[Any, ...]]", await theirs.fetchall())
        async with self._cursors.lease() as cursor:
            await cursor.execute(statement, params)
            return cast("list[tuple[Any, ...]]", await cursor.fetchall())

    async def _first(
        self, statement: Any, params: Any, conn: _AsyncConn | None
    ) -> tuple[Any, ...] | None:
        rows = await self._fetch(statement, params, conn)
        return rows[0] if rows else None

    async def insert(
        self, args: Args, opts: InsertOpts | None = None, *, conn: _AsyncConn | None = None
    ) -> InsertResult:
        """Insert one job; a unique job that already exists comes back with ``duplicate``."""
        return (await self.insert_many([InsertParams(args, opts)], conn=conn))[0]

    async def insert_many(
        self, items: Iterable[Args | InsertParams], *, conn: _AsyncConn | None = None
    ) -> list[InsertResult]:
        """Insert many jobs in one statement; results come back in the order given."""
        statement, params, sent, answers = _insert_statement(_params(items), self._defaults)
        if not answers:
            return []
        if conn is not None:
            rows = await self._fetch(statement, params, conn)
            return _insert_results(statement, rows, sent, answers)
        statement = self._notices.plain(statement, params)
        rows = await self._fetch(statement, params, None)
        self._notices.inserted(statement, params)
        return _insert_results(statement, rows, sent, answers)

    async def insert_many_fast(
        self, items: Iterable[Args | InsertParams], *, conn: _AsyncConn | None = None
    ) -> int:
        """Insert many jobs through COPY, the fastest way in; returns how many.

        No rows come back, and a unique job that conflicts fails the whole batch (River's
        ``InsertManyFast``); use :meth:`insert_many` when either matters.
        """
        batch = _copy_data(_params(items), self._defaults)
        if conn is not None:
            await self._copy(conn, batch, batch.queues)
        else:
            # No transaction around it: a COPY is atomic on its own, and BEGIN and COMMIT were
            # two more round trips per batch. The notification follows the committed rows.
            announce = self._notices.due(batch.queues)
            async with self.pool.connection() as own:
                await self._copy(own, batch, announce)
            self._notices.sent(announce)
        return len(batch.rows)

    @staticmethod
    async def _copy(conn: _AsyncConn, batch: _CopyBatch, announce: list[str]) -> None:
        async with conn.cursor() as cursor:
            async with cursor.copy(batch.statement) as copy:
                for chunk in batch.chunks(_COPY_CHUNK):
                    await copy.write(chunk)
            if announce:
                await cursor.execute(queries.NOTIFY_INSERTS, (announce,))

    async def get(self, job_id: int, *, conn: _AsyncConn | None = None) -> Job[dict[str, Any]]:
        """The job with this id; :class:`JobNotFoundError` if there is none."""
        return _one(await self._first(queries.GET, (job_id,), conn), job_id)

    async def list(
        self, where: JobFilter = JobFilter(), *, conn: _AsyncConn | None = None
    ) -> JobPage:
        """One page of jobs matching ``where``, newest first unless it says otherwise."""
        statement, params = _list_statement(where)
        return _page(await self._fetch(statement, params, conn), where.limit)

    async def cancel(self, job_id: int, *, conn: _AsyncConn | None = None) -> Job[dict[str, Any]]:
        """Cancel a job: at once if it waits, through its host if it runs (see River)."""
        return _one(await self._first(queries.CANCEL, {"id": job_id}, conn), job_id)

    async def retry(self, job_id: int, *, conn: _AsyncConn | None = None) -> Job[dict[str, Any]]:
        """Make a job that is not running available now (a finalized one included)."""
        return _one(await self._first(queries.RETRY, {"id": job_id}, conn), job_id)

    async def delete(self, job_id: int, *, conn: _AsyncConn | None = None) -> Job[dict[str, Any]]:
        """Delete a job that is not running; returns it as it was."""
        return _deleted(await self._first(queries.DELETE, {"id": job_id}, conn), job_id)

    async def get_progress(
        self, job_id: int, *, conn: _AsyncConn | None = None
    ) -> JobProgress | None:
        """The job's latest progress report, or ``None`` if it has reported none."""
        return _progress(await self._first(_PROGRESS, (job_id,), conn), job_id)

    async def list_queues(self, *, conn: _AsyncConn | None = None) -> _QueueList:
        """Every queue: paused or not, unfinished jobs per state, kinds no live host serves."""
        rows = await self._fetch(queries.QUEUE_LIST, None, conn)
        unserved = await self._fetch(queries.UNSERVED_KINDS, {"lapse": _LIVE_LAPSE}, conn)
        return _queues(rows, unserved)

    async def pause_queue(
        self, queue: str = "*", *, host: str | None = None, conn: _AsyncConn | None = None
    ) -> None:
        """Pause ``queue`` (``*``: every queue) for the whole fleet, or on one ``host`` only.

        A paused queue fetches nothing; its running jobs finish. A fleet pause is River's
        (``river_queue.paused_at``), so Go River clients pause too; a host pause lasts until
        resumed or that host restarts.
        """
        statement, params = _pause_params(queue, True, host)
        await self._fetch(statement, params, conn)

    async def resume_queue(
        self, queue: str = "*", *, host: str | None = None, conn: _AsyncConn | None = None
    ) -> None:
        """Undo :meth:`pause_queue`."""
        statement, params = _pause_params(queue, False, host)
        await self._fetch(statement, params, conn)


class Client:
    """The blocking client, for code without an event loop; same methods as AsyncClient."""

    def __init__(self, pool: ConnectionPool[Any], *, registry: Any = None) -> None:
        self.pool = pool
        self._defaults = _defaults(registry)
        self._notices = _InsertNotices()
        self._cursors = Cursors(pool)

    @classmethod
    def connect(cls, url: str, *, registry: Any = None, max_size: int = 10) -> Client:
        """See :meth:`AsyncClient.connect`."""
        try:
            psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT).close()
        except psycopg.OperationalError as exc:
            raise _unreachable(url, exc) from exc
        pool: ConnectionPool[Any] = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            open=False,
            kwargs={"autocommit": True},
            configure=adapt.configure,
        )
        pool.open(wait=True)
        return cls(pool, registry=registry)

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _fetch(self, statement: Any, params: Any, conn: _Conn | None) -> list[tuple[Any, ...]]:
        """See :meth:`AsyncClient._fetch`."""
        if conn is not None:
            return cast("list[tuple[Any, ...]]", conn.execute(statement, params).fetchall())
        with self._cursors.lease() as cursor:
            return cast("list[tuple[Any, ...]]", cursor.execute(statement, params).fetchall())

    def _first(self, statement: Any, params: Any, conn: _Conn | None) -> tuple[Any, ...] | None:
        rows = self._fetch(statement, params, conn)
        return rows[0] if rows else None

    def insert(
        self, args: Args, opts: InsertOpts | None = None, *, conn: _Conn | None = None
    ) -> InsertResult:
        """See :meth:`AsyncClient.insert`."""
        return self.insert_many([InsertParams(args, opts)], conn=conn)[0]

    def insert_many(
        self, items: Iterable[Args | InsertParams], *, conn: _Conn | None = None
    ) -> list[InsertResult]:
        """See :meth:`AsyncClient.insert_many`."""
        statement, params, sent, answers = _insert_statement(_params(items), self._defaults)
        if not answers:
            return []
        if conn is not None:
            rows = self._fetch(statement, params, conn)
            return _insert_results(statement, rows, sent, answers)
        statement = self._notices.plain(statement, params)
        rows = self._fetch(statement, params, None)
        self._notices.inserted(statement, params)
        return _insert_results(statement, rows, sent, answers)

    def insert_many_fast(
        self, items: Iterable[Args | InsertParams], *, conn: _Conn | None = None
    ) -> int:
        """See :meth:`AsyncClient.insert_many_fast`."""
        batch = _copy_data(_params(items), self._defaults)
        if conn is not None:
            self._copy(conn, batch, batch.queues)
        else:
            announce = self._notices.due(batch.queues)
            with self.pool.connection() as own:  # as in AsyncClient: the COPY is atomic
                self._copy(own, batch, announce)
            self._notices.sent(announce)
        return len(batch.rows)

    @staticmethod
    def _copy(conn: _Conn, batch: _CopyBatch, announce: list[str]) -> None:
        with conn.cursor() as cursor:
            with cursor.copy(batch.statement) as copy:
                for chunk in batch.chunks(_COPY_CHUNK):
                    copy.write(chunk)
            if announce:
                cursor.execute(queries.NOTIFY_INSERTS, (announce,))

    def get(self, job_id: int, *, conn: _Conn | None = None) -> Job[dict[str, Any]]:
        """See :meth:`AsyncClient.get`."""
        return _one(self._first(queries.GET, (job_id,), conn), job_id)

    def list(self, where: JobFilter = JobFilter(), *, conn: _Conn | None = None) -> JobPage:
        """See :meth:`AsyncClient.list`."""
        statement, params = _list_statement(where)
        return _page(self._fetch(statement, params, conn), where.limit)

    def cancel(self, job_id: int, *, conn: _Conn | None = None) -> Job[dict[str, Any]]:
        """See :meth:`AsyncClient.cancel`."""
        return _one(self._first(queries.CANCEL, {"id": job_id}, conn), job_id)

    def retry(self, job_id: int, *, conn: _Conn | None = None) -> Job[dict[str, Any]]:
        """See :meth:`AsyncClient.retry`."""
        return _one(self._first(queries.RETRY, {"id": job_id}, conn), job_id)

    def delete(self, job_id: int, *, conn: _Conn | None = None) -> Job[dict[str, Any]]:
        """See :meth:`AsyncClient.delete`."""
        return _deleted(self._first(queries.DELETE, {"id": job_id}, conn), job_id)

    def get_progress(self, job_id: int, *, conn: _Conn | None = None) -> JobProgress | None:
        """See :meth:`AsyncClient.get_progress`."""
        return _progress(self._first(_PROGRESS, (job_id,), conn), job_id)

    def list_queues(self, *, conn: _Conn | None = None) -> _QueueList:
        """See :meth:`AsyncClient.list_queues`."""
        rows = self._fetch(queries.QUEUE_LIST, None, conn)
        return _queues(rows, self._fetch(queries.UNSERVED_KINDS, {"lapse": _LIVE_LAPSE}, conn))

    def pause_queue(
        self, queue: str = "*", *, host: str | None = None, conn: _Conn | None = None
    ) -> None:
        """See :meth:`AsyncClient.pause_queue`."""
        statement, params = _pause_params(queue, True, host)
        self._fetch(statement, params, conn)

    def resume_queue(
        self, queue: str = "*", *, host: str | None = None, conn: _Conn | None = None
    ) -> None:
        """See :meth:`AsyncClient.resume_queue`."""
        statement, params = _pause_params(queue, False, host)
        self._fetch(statement, params, conn)
