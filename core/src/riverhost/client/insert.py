"""Building an insert: options resolved per job, rows, unique keys, statement and parameters,
and the results read back.

Owns :class:`InsertParams`, the kind defaults a client fills options from, the rows of a batch
and the choice among :data:`~riverhost.db.queries.INSERT_PLAIN`, ``INSERT_ONE``,
``INSERT_ALIKE`` and ``INSERT_MANY`` with their parameters, and the :class:`InsertResult` list
built from what comes back. It runs nothing and holds no SQL (that is :mod:`riverhost.db.queries`);
the COPY path (:mod:`.copy`) reuses its rows. Built once here, so the async and blocking
clients differ only in ``await``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, LiteralString

from psycopg.types.json import Jsonb

from riverhost.args import InsertOpts, JobArgs, RawArgs, ResolvedOpts, resolve_opts
from riverhost.db import adapt, queries
from riverhost.db.unique import unique_key, unique_key_string, unique_states_bitmask
from riverhost.errors import InsertError
from riverhost.job import InsertResult, Job, job_state, new_job
from riverhost.kinds import JobKind, JobState

if TYPE_CHECKING:
    # Types only: riverhost.registry loads plugins and config, which a client does not need.
    from riverhost.registry import Registry

__all__ = ["Args", "InsertParams"]

Args = JobArgs | RawArgs


@dataclass(frozen=True)
class InsertParams:
    """One job of a batch: its args and, optionally, options that win over the defaults.

    ``unique`` is an explicit ``(unique_key, unique_states mask)`` that replaces the key the
    options would compute (periodic jobs key each tick this way).
    """

    args: Args
    opts: InsertOpts | None = None
    unique: tuple[bytes, int] | None = None


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


def _defaults(registry: Registry | None) -> _KindDefaults:
    if registry is None:
        return _KindDefaults()
    return _KindDefaults(
        kinds={name: reg.spec for name, reg in registry.kinds.items()},
        max_attempts=registry.config.jobs.max_attempts,
    )


def _params(items: Iterable[Args | InsertParams]) -> Sequence[Args | InsertParams]:
    """The items as a sequence; args alone stand for themselves (no InsertParams per job)."""
    return items if isinstance(items, Sequence) else list(items)


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
