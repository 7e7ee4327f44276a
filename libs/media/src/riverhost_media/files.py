"""File records a scan keeps: a media plugin's ``<schema>.<files>`` and ``unmatched_files``.

Every media plugin records the files it matched in a table of its own schema (``movie_files``,
``episode_files``: a ``file_path``, ``file_size``, ``file_mtime_ns``, ``library_id``,
``last_scanned_at`` and ``deleted_at``, among its own columns) and the files it skipped or could
not match in ``unmatched_files`` (same columns in every schema: see the migrations).
:class:`LibraryFiles` holds the statements a scan runs on both: mark a batch seen and return
what was recorded (:meth:`~LibraryFiles.touch_files`), remember and forget unmatched files, and
mark what a scan did not see as deleted. Each function takes a connection the caller has in a
transaction. The schema and table names are a plugin's constants, quoted as identifiers, never
input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

__all__ = ["LibraryFiles"]

Conn = psycopg.AsyncConnection[Any]

# One statement per batch of walked files (unique index on the files' path, or path and item):
# marks them seen and returns what was recorded, one row per path (a file holding several
# items has several rows, all alike), so unchanged files need nothing more.
_TOUCH_FILES = """
WITH recorded AS (
    UPDATE {files} SET last_scanned_at = now(), deleted_at = NULL
    WHERE file_path = ANY(%(paths)s)
    RETURNING file_path, file_size, file_mtime_ns
), unmatched AS (
    UPDATE {unmatched} SET last_scanned_at = now()
    WHERE file_path = ANY(%(paths)s)
    RETURNING file_path, file_size, file_mtime_ns
)
SELECT DISTINCT file_path, file_size, file_mtime_ns FROM recorded
UNION ALL
SELECT file_path, file_size, file_mtime_ns FROM unmatched
"""

# The files' index on library_id; a root's files only, and only those this scan did not see.
_MARK_MISSING = """
UPDATE {files} SET deleted_at = now()
WHERE library_id = %(library_id)s AND deleted_at IS NULL AND last_scanned_at < %(started)s
  AND starts_with(file_path, %(prefix)s)
"""

_FORGET_OLD_UNMATCHED = """
DELETE FROM {unmatched}
WHERE library_id = %(library_id)s AND last_scanned_at < %(started)s
  AND starts_with(file_path, %(prefix)s)
"""

_UPSERT_UNMATCHED = """
INSERT INTO {unmatched} (file_path, library_id, file_size, file_mtime_ns, reason)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (file_path) DO UPDATE SET
    library_id = EXCLUDED.library_id, file_size = EXCLUDED.file_size,
    file_mtime_ns = EXCLUDED.file_mtime_ns, reason = EXCLUDED.reason, last_scanned_at = now()
"""

_FORGET_UNMATCHED = "DELETE FROM {unmatched} WHERE file_path = ANY(%s)"


class LibraryFiles:
    """The scan's statements on ``<schema>.<files>`` and ``<schema>.unmatched_files``."""

    def __init__(self, schema: str, files: str) -> None:
        self._names = {
            "files": sql.Identifier(schema, files),
            "unmatched": sql.Identifier(schema, "unmatched_files"),
        }

    def _sql(self, template: str) -> sql.Composed:
        return sql.SQL(template).format(**self._names)

    async def touch_files(self, conn: Conn, paths: Sequence[str]) -> dict[str, tuple[int, int]]:
        """Mark recorded (and unmatched) files among ``paths`` as seen now; return path ->
        (size, mtime_ns) as last recorded."""
        cursor = await conn.execute(self._sql(_TOUCH_FILES), {"paths": list(paths)})
        return {row[0]: (row[1], row[2]) for row in await cursor.fetchall()}

    async def mark_missing_files(
        self, conn: Conn, library_id: str, roots: Iterable[str], started: datetime
    ) -> int:
        """Mark files under ``roots`` not seen since ``started`` as deleted; return how many."""
        removed = 0
        for root in roots:
            prefix = root.rstrip("/") + "/"
            params = {"library_id": library_id, "started": started, "prefix": prefix}
            removed += (await conn.execute(self._sql(_MARK_MISSING), params)).rowcount
            await conn.execute(self._sql(_FORGET_OLD_UNMATCHED), params)
        return removed

    async def record_unmatched(
        self, conn: Conn, library_id: str, files: Sequence[tuple[str, int, int, str]]
    ) -> None:
        """Remember files (path, size, mtime_ns, reason) a scan skipped or could not match."""
        if files:
            async with conn.cursor() as cursor:
                await cursor.executemany(
                    self._sql(_UPSERT_UNMATCHED),
                    [(path, library_id, *rest) for path, *rest in files],
                )

    async def forget_unmatched(self, conn: Conn, paths: Sequence[str]) -> None:
        """Forget these files as unmatched (they are matched now)."""
        if paths:
            await conn.execute(self._sql(_FORGET_UNMATCHED), (list(paths),))
