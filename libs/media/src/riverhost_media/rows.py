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
from typing import Any

import psycopg
from psycopg import sql

__all__ = ["ServiceFile", "insert_row", "media_columns", "merged", "update_row"]


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
    conn: psycopg.AsyncConnection[Any],
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


async def insert_row(
    conn: psycopg.AsyncConnection[Any], schema: str, table: str, values: Mapping[str, Any]
) -> None:
    """``INSERT INTO schema.table (<columns>) VALUES (<values>)``."""
    statement = sql.SQL("INSERT INTO {}.{} ({}) VALUES ({})").format(
        sql.Identifier(schema),
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, values)),
        sql.SQL(", ").join(map(sql.Placeholder, values)),
    )
    await conn.execute(statement, dict(values))
