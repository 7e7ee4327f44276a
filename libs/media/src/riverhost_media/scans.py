"""Scan records: a media plugin's ``<schema>.library_scans`` rows, from running to an end.

Every media plugin keeps its scans in a ``library_scans`` table of its own schema (same
columns: see the movie and tvshow migrations). :func:`start_scan` records a scan as running
(again, on a retry), :func:`complete_scan` and :func:`fail_scan` end it with its counters and
first errors, so a scan never stays ``pending`` or ``running`` (the seeds' TV scans did).
The schema name is a plugin's constant, quoted as an identifier, never input.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

__all__ = ["ScanTotals", "complete_scan", "fail_scan", "start_scan"]

Conn = psycopg.AsyncConnection[Any]


@dataclass
class ScanTotals:
    """A scan's counters, as ``library_scans`` stores them."""

    scanned: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    errors: int = 0


_START_SCAN = """
INSERT INTO {table} (id, library_id, job_id, scan_type, status, started_at)
VALUES (%(id)s, %(library_id)s, %(job_id)s, %(scan_type)s, 'running', now())
ON CONFLICT (id) DO UPDATE SET
    status = 'running', job_id = EXCLUDED.job_id, scan_type = EXCLUDED.scan_type,
    started_at = now(), completed_at = NULL, error_message = NULL
RETURNING started_at
"""

_FINISH_SCAN = """
UPDATE {table} SET
    status = %(status)s, items_scanned = %(scanned)s, items_added = %(added)s,
    items_updated = %(updated)s, items_unchanged = %(unchanged)s, items_removed = %(removed)s,
    errors_count = %(errors)s, errors = %(error_list)s, error_message = %(message)s,
    completed_at = now(), duration_seconds = extract(epoch FROM now() - started_at)
WHERE id = %(id)s
"""


def _sql(template: str, schema: str) -> sql.Composed:
    return sql.SQL(template).format(table=sql.Identifier(schema, "library_scans"))


async def start_scan(
    conn: Conn, schema: str, scan_id: uuid.UUID, library_id: str, job_id: int, *, force: bool
) -> datetime:
    """Record the scan as running (again, on a retry); return when it started."""
    params = {
        "id": scan_id,
        "library_id": library_id,
        "job_id": job_id,
        "scan_type": "full" if force else "incremental",
    }
    row = await (await conn.execute(_sql(_START_SCAN, schema), params)).fetchone()
    assert row is not None
    started: datetime = row[0]
    return started


async def _finish(
    conn: Conn,
    schema: str,
    scan_id: uuid.UUID,
    status: str,
    totals: ScanTotals,
    errors: Sequence[Mapping[str, str]],
    message: str | None,
) -> None:
    await conn.execute(
        _sql(_FINISH_SCAN, schema),
        {
            "id": scan_id,
            "status": status,
            "scanned": totals.scanned,
            "added": totals.added,
            "updated": totals.updated,
            "unchanged": totals.unchanged,
            "removed": totals.removed,
            "errors": totals.errors,
            "error_list": Jsonb(list(errors)),
            "message": message,
        },
    )


async def complete_scan(
    conn: Conn,
    schema: str,
    scan_id: uuid.UUID,
    totals: ScanTotals,
    errors: Sequence[Mapping[str, str]],
) -> None:
    """Mark the scan completed with its counters and its first errors."""
    await _finish(conn, schema, scan_id, "completed", totals, errors, None)


async def fail_scan(
    conn: Conn,
    schema: str,
    scan_id: uuid.UUID,
    totals: ScanTotals,
    errors: Sequence[Mapping[str, str]],
    message: str,
) -> None:
    """Mark the scan failed, saying why."""
    await _finish(conn, schema, scan_id, "failed", totals, errors, message)
