"""Writing a row only where it differs: what the content plugins' repositories share when an
outside service (Radarr, Sonarr) merges into rows a scan or a TMDb refresh may have written.

A row the service created is the service's to update (``owned``); a row the plugin refreshed
itself only gets its gaps filled. Identifiers are quoted by :mod:`psycopg.sql`, values are
parameters: no SQL is assembled from input.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Protocol

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from riverhost_media.probe import ProbeResult

__all__ = [
    "ScannedFile",
    "ServiceFile",
    "Sync",
    "TitleRow",
    "fetch_row",
    "insert_row",
    "media_columns",
    "merge_service_file",
    "merged",
    "scanned_file_columns",
    "update_row",
]

Conn = psycopg.AsyncConnection[Any]

Sync = str
"""What a sync did to one row: ``added``, ``updated`` or ``unchanged``."""


@dataclass(frozen=True, slots=True)
class TitleRow:
    """A movie or series a file's parsed title may name."""

    id: uuid.UUID
    title: str
    original_title: str | None
    year: int | None
    tmdb_id: int | None


class ScannedFile(Protocol):
    """What a scan records of a file, whatever item (movie, episode) it holds."""

    @property
    def path(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def mtime_ns(self) -> int: ...
    @property
    def library_id(self) -> str | None: ...
    @property
    def match_type(self) -> str: ...
    @property
    def probe(self) -> ProbeResult | None: ...
    @property
    def probe_error(self) -> str | None: ...
    @property
    def quality_profile(self) -> str | None: ...


def scanned_file_columns(record: ScannedFile) -> dict[str, Any]:
    """A scanned file's columns in a plugin's files table (a new row id; its probe's media
    columns, all NULL without a probe), but the item it holds."""
    probe = record.probe or ProbeResult()
    return {
        "id": uuid.uuid4(),
        "library_id": record.library_id,
        "file_path": record.path,
        "file_name": file_name(record.path),
        "file_size": record.size,
        "file_mtime_ns": record.mtime_ns,
        "quality_profile": record.quality_profile,
        "probe_error": record.probe_error,
        "match_type": record.match_type,
        **probe.model_dump(),
    }


def file_name(path: str) -> str:
    """The last part of a file's path."""
    return path.rsplit("/", 1)[-1]


async def fetch_row(
    conn: Conn, query: str, params: Mapping[str, Any] | tuple[Any, ...]
) -> dict[str, Any] | None:
    """The first row ``query`` returns, as a dict, or None."""
    async with conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(query, params)
        return await cursor.fetchone()


@dataclass(frozen=True)
class ServiceFile:
    """A media file as an outside service (Radarr, Sonarr) describes it: its id there, where
    it is, and its media facts in the content plugins' file columns."""

    file_id: int
    path: str
    size: int
    container: str | None = None
    resolution: str | None = None
    width: int | None = None
    height: int | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    audio_channels: int | None = None
    bitrate_kbps: int | None = None
    duration_seconds: float | None = None
    framerate: float | None = None
    quality_profile: str | None = None


def media_columns(file: ServiceFile) -> dict[str, Any]:
    """The file's media facts by column (all but its id, path and size)."""
    skip = ("file_id", "path", "size")
    return {f.name: getattr(file, f.name) for f in fields(file) if f.name not in skip}


def merged(row: Mapping[str, Any], wanted: Mapping[str, Any], *, owned: bool) -> dict[str, Any]:
    """The columns to change: all that differ when the row is the service's, else only gaps
    (columns that are NULL)."""
    changes = {}
    for column, value in wanted.items():
        old = row[column]
        new = value if owned or old is None else old
        if new != old:
            changes[column] = new
    return changes


async def update_row(
    conn: Conn,
    schema: str,
    table: str,
    row_id: uuid.UUID,
    changes: Mapping[str, Any],
) -> None:
    """``UPDATE schema.table SET <changes> WHERE id = row_id``."""
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(column), sql.Placeholder(column))
        for column in changes
    )
    statement = sql.SQL("UPDATE {}.{} SET {} WHERE id = %(_id)s").format(
        sql.Identifier(schema), sql.Identifier(table), assignments
    )
    await conn.execute(statement, {**changes, "_id": row_id})


async def insert_row(conn: Conn, schema: str, table: str, values: Mapping[str, Any]) -> None:
    """``INSERT INTO schema.table (<columns>) VALUES (<values>)``."""
    statement = sql.SQL("INSERT INTO {}.{} ({}) VALUES ({})").format(
        sql.Identifier(schema),
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, values)),
        sql.SQL(", ").join(map(sql.Placeholder, values)),
    )
    await conn.execute(statement, dict(values))


async def merge_service_file(
    conn: Conn,
    schema: str,
    table: str,
    row: Mapping[str, Any] | None,
    file: ServiceFile,
    *,
    service: str,
    identity: Mapping[str, Any],
    new: Mapping[str, Any] | None = None,
) -> tuple[uuid.UUID, Sync]:
    """Merge a service's file into ``row`` (None: insert one, with ``new`` too, matched by
    ``service``): the file's path, name, size and ``<service>_file_id`` plus ``identity`` are
    the service's; its media columns only where the row is the service's own or has gaps (a
    file the scan recorded keeps its probe). Returns the row's id and what changed."""
    wanted = media_columns(file)
    ident = {
        **identity,
        "file_path": file.path,
        "file_name": file_name(file.path),
        "file_size": file.size,
        f"{service}_file_id": file.file_id,
    }
    if row is None:
        row_id = uuid.uuid4()
        values = {
            "id": row_id,
            **ident,
            **wanted,
            "file_mtime_ns": 0,
            "match_type": service,
            **(new or {}),
        }
        await insert_row(conn, schema, table, values)
        return row_id, "added"
    changes = merged(row, wanted, owned=row["match_type"] == service)
    changes.update({k: v for k, v in {**ident, "deleted_at": None}.items() if row[k] != v})
    if changes:
        await update_row(conn, schema, table, row["id"], changes)
    return row["id"], "updated" if changes else "unchanged"
