"""Cleanup targets: what they are, how they are checked against the catalog, and the batched
delete that prunes them.

A target names a table, a ``timestamp``/``timestamptz`` column and a default age; it comes
from another plugin (the ``riverhost_cleanup_targets`` hook), from the settings
(``plugins.maintenance.cleanup.targets``) or from this plugin itself. Every one is resolved
against ``pg_class``/``pg_attribute`` when a host starts, and the statements are built from
the names the catalog returned, quoted with :mod:`psycopg.sql`: nothing a job's args say ever
reaches SQL but a target's name looked up in a dict.

Deletes go a batch at a time, each batch its own short transaction
(``DELETE … WHERE ctid = ANY(ARRAY(SELECT ctid … LIMIT n FOR UPDATE SKIP LOCKED))``, a TID
scan), so a large table is never locked long and rows other sessions hold are left for the
next run rather than waited for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from riverhost import Duration
from riverhost_maintenance.settings import NAME_PATTERN

FINISHED_SCAN_STATES = ("completed", "failed", "cancelled")


class CleanupTarget(BaseModel):
    """One table to prune (see :func:`riverhost_maintenance.spec.riverhost_cleanup_targets`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN, max_length=64)
    table: str = Field(min_length=1)
    column: str = Field(min_length=1)
    older_than: Duration
    condition: str | None = None
    scan_records: bool = False
    status_column: str = "status"


@dataclass(frozen=True)
class CheckedTarget:
    """A target whose table and columns the catalog confirmed, ready to prune."""

    target: CleanupTarget
    source: str
    """Who declared it: ``plugins.maintenance.cleanup.targets.X`` or ``plugin movie``."""
    table: sql.Identifier
    column: sql.Identifier
    column_type: str
    status_column: sql.Identifier | None

    @property
    def name(self) -> str:
        return self.target.name


class TargetError(ValueError):
    """Targets that cannot be cleaned, each problem with where it was declared."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def parse_target(raw: object, source: str) -> CleanupTarget:
    """A declared target (a mapping, or a :class:`CleanupTarget`) validated, or TargetError."""
    try:
        return CleanupTarget.model_validate(
            raw.model_dump() if isinstance(raw, CleanupTarget) else raw
        )
    except ValidationError as exc:
        problems = [
            f"{source}: {'.'.join(str(p) for p in error['loc']) or 'target'}: {error['msg']}"
            for error in exc.errors()
        ]
        raise TargetError(problems) from exc


_TABLE = """
SELECT n.nspname, c.relname, c.relkind
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = to_regclass(%s)
"""
_COLUMN = """
SELECT format_type(a.atttypid, a.atttypmod)
FROM pg_attribute a
WHERE a.attrelid = to_regclass(%s) AND a.attname = %s AND a.attnum > 0 AND NOT a.attisdropped
"""
_TIMESTAMP_TYPES = ("timestamp with time zone", "timestamp without time zone")


async def check_target(
    conn: psycopg.AsyncConnection[Any], target: CleanupTarget, source: str, key: str = ""
) -> CheckedTarget:
    """Resolve ``target`` in the catalog; TargetError naming ``source`` + ``key`` if it fails.

    ``key`` prefixes field names in messages (``plugins.maintenance.cleanup.targets.x.``).
    """
    where = key or f"{source}: target {target.name!r} "
    try:
        row = await (await conn.execute(_TABLE, (target.table,))).fetchone()
    except psycopg.Error as exc:  # not a name at all ("a.b.c.d"): the same as no such table
        row = None
        reason = str(exc).splitlines()[0]
    else:
        reason = "no such table"
    if row is None:
        raise TargetError([f"{where}table = {target.table!r}: {reason}"])
    schema, relname, relkind = row
    if relkind not in ("r", "p"):
        raise TargetError([f"{where}table = {target.table!r}: not a table (relkind {relkind})"])
    problems = []
    column_type = await _column_type(conn, target.table, target.column)
    if column_type is None:
        problems.append(f"{where}column = {target.column!r}: no such column in {schema}.{relname}")
    elif column_type not in _TIMESTAMP_TYPES:
        problems.append(
            f"{where}column = {target.column!r}: {schema}.{relname}.{target.column} is "
            f"{column_type}, not a timestamp or timestamptz"
        )
    status: sql.Identifier | None = None
    if target.scan_records:
        if await _column_type(conn, target.table, target.status_column) is None:
            problems.append(
                f"{where}status_column = {target.status_column!r}: no such column in "
                f"{schema}.{relname}"
            )
        status = sql.Identifier(target.status_column)
    if problems:
        raise TargetError(problems)
    assert column_type is not None
    checked = CheckedTarget(
        target=target,
        source=source,
        table=sql.Identifier(schema, relname),
        column=sql.Identifier(target.column),
        column_type=column_type,
        status_column=status,
    )
    if target.condition is not None:
        try:
            async with conn.transaction():
                await conn.execute(
                    sql.SQL("EXPLAIN SELECT 1 FROM {} WHERE {}").format(
                        checked.table, sql.SQL(target.condition)
                    )
                )
        except psycopg.Error as exc:
            first = str(exc).splitlines()[0]
            raise TargetError([f"{where}condition = {target.condition!r}: {first}"]) from exc
    return checked


async def _column_type(conn: psycopg.AsyncConnection[Any], table: str, column: str) -> str | None:
    row = await (await conn.execute(_COLUMN, (table, column))).fetchone()
    return None if row is None else str(row[0])


def _where(checked: CheckedTarget) -> sql.Composed:
    cutoff = sql.SQL("%(cutoff)s::timestamptz")
    if checked.column_type == "timestamp without time zone":
        cutoff = sql.SQL("%(cutoff)s::timestamptz::timestamp")
    parts: list[sql.Composable] = [sql.SQL("{} < {}").format(checked.column, cutoff)]
    if checked.target.condition is not None:
        parts.append(sql.SQL("({})").format(sql.SQL(checked.target.condition)))
    if checked.status_column is not None:
        parts.append(sql.SQL("{} = ANY(%(finished)s)").format(checked.status_column))
    return sql.SQL(" AND ").join(parts)


def count_statement(checked: CheckedTarget) -> sql.Composed:
    return sql.SQL("SELECT count(*) FROM {} WHERE {}").format(checked.table, _where(checked))


def delete_statement(checked: CheckedTarget) -> sql.Composed:
    return sql.SQL(
        "DELETE FROM {table} WHERE ctid = ANY(ARRAY("
        "SELECT ctid FROM {table} WHERE {where} LIMIT %(batch)s FOR UPDATE SKIP LOCKED))"
    ).format(table=checked.table, where=_where(checked))


Transaction = Callable[[], Any]
"""``ctx.transaction``: an async context manager giving a connection in a transaction."""


async def prune(
    checked: CheckedTarget,
    older_than: timedelta,
    *,
    transaction: Transaction,
    batch_size: int,
    dry_run: bool,
    on_batch: Callable[[int], Awaitable[None] | None] | None = None,
) -> int:
    """Delete (or, with ``dry_run``, count) the target's rows older than ``older_than``.

    Each batch is one statement in its own transaction; the loop ends at the first batch
    smaller than ``batch_size``. ``on_batch(total_so_far)`` runs after every batch (to report
    progress and to stop when the attempt must: raise from it). Returns the row count.
    """
    params = {
        "cutoff": datetime.now(UTC) - older_than,
        "batch": batch_size,
        "finished": list(FINISHED_SCAN_STATES),
    }
    if dry_run:
        async with transaction() as conn:
            row = await (await conn.execute(count_statement(checked), params)).fetchone()
        assert row is not None
        return int(row[0])
    statement = delete_statement(checked)
    total: int = 0
    while True:
        async with transaction() as conn:
            deleted: int = (await conn.execute(statement, params)).rowcount
        total += deleted
        if on_batch is not None:
            result = on_batch(total)
            if result is not None:
                await result
        if deleted < batch_size:
            return total
