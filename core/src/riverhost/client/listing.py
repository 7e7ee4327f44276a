"""Reading jobs: :class:`JobFilter`, the job listing's statement, and the rows read back as
jobs, pages and progress reports.

Owns how a filter becomes a ``psycopg.sql`` composition of the fixed fragments in
:mod:`riverhost.db.queries` (no SQL text lives here), and how a row of ``GET``, ``CANCEL``,
``RETRY``, ``DELETE`` or ``GET_PROGRESS`` becomes a result or a
:class:`~riverhost.errors.JobNotFoundError`. It runs nothing; queues are :mod:`.queues`'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from riverhost.db import queries
from riverhost.errors import JobNotFoundError, JobRunningError
from riverhost.job import Job, JobPage, JobProgress
from riverhost.kinds import JobState

__all__ = ["JobFilter"]


@dataclass(frozen=True)
class JobFilter:
    """Which jobs :meth:`~riverhost.client.AsyncClient.list` returns; an empty field matches all.

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


def _list_statement(where: JobFilter) -> tuple[sql.Composed, dict[str, Any]]:
    condition, params = _condition(where, paged=True)
    order, _after = (
        queries.JOB_LIST_NEWEST_FIRST if where.newest_first else queries.JOB_LIST_OLDEST_FIRST
    )
    params["limit"] = where.limit
    statement = sql.SQL(queries.JOB_LIST).format(where=condition, order=sql.SQL(order))
    return statement, params


def _count_statements(
    where: JobFilter, cap: int
) -> tuple[sql.Composed, sql.Composed, dict[str, Any]]:
    """The capped exact count of the jobs ``where`` matches (ignoring its paging) and the
    EXPLAIN that estimates it when the cap is reached."""
    condition, params = _condition(where, paged=False)
    params["cap"] = cap
    exact = sql.SQL(queries.JOB_COUNT_CAPPED).format(where=condition)
    estimate = sql.SQL(queries.JOB_COUNT_EXPLAIN).format(where=condition)
    return exact, estimate, params


def _estimated_rows(plan: Any) -> int:
    """The row estimate at the top of an ``EXPLAIN (FORMAT JSON)`` answer."""
    return int(plan[0]["Plan"]["Plan Rows"])


def _condition(where: JobFilter, *, paged: bool) -> tuple[sql.Composable, dict[str, Any]]:
    clauses: list[sql.Composable] = []
    params: dict[str, Any] = {}
    checks: list[tuple[str, Sequence[Any]]] = [
        ("states", [str(s) for s in where.states]),
        ("queues", where.queues),
        ("kinds", where.kinds),
        ("ids", where.ids),
        ("tags", where.tags),
        ("priorities", where.priorities),
    ]
    for name, values in checks:
        if values:
            params[name] = list(values)
            clauses.append(sql.SQL(queries.JOB_LIST_FILTERS[name]))
    if where.metadata:
        params["metadata"] = Jsonb(dict(where.metadata))
        clauses.append(sql.SQL(queries.JOB_LIST_FILTERS["metadata"]))
    _order, after = (
        queries.JOB_LIST_NEWEST_FIRST if where.newest_first else queries.JOB_LIST_OLDEST_FIRST
    )
    if paged and where.after is not None:
        params["after"] = where.after
        clauses.append(sql.SQL(after))
    condition = sql.SQL(" AND ").join(clauses) if clauses else sql.SQL(queries.JOB_LIST_ALL)
    return condition, params


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
