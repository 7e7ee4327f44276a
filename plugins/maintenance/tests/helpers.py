"""A content-like plugin for the tests: it declares a log table and a scan-record table as
cleanup targets, as a real plugin would (optionalhook, plain mappings, no import of
riverhost_maintenance), and its migration fills them with old and recent rows."""

from __future__ import annotations

from riverhost import Migration, hookimpl

ROWS_SQL = """
CREATE SCHEMA content;
CREATE TABLE content.log (id bigserial PRIMARY KEY, logged_at timestamptz NOT NULL,
                          level text NOT NULL, note text NOT NULL);
INSERT INTO content.log (logged_at, level, note)
SELECT now() - interval '40 days', CASE WHEN n % 5 = 0 THEN 'error' ELSE 'info' END, 'old'
FROM generate_series(1, 25) n;
INSERT INTO content.log (logged_at, level, note)
SELECT now() - interval '2 hours', 'info', 'recent' FROM generate_series(1, 5);
CREATE TABLE content.library_scans (id bigserial PRIMARY KEY, created_at timestamp NOT NULL,
                                    status text NOT NULL);
INSERT INTO content.library_scans (created_at, status)
SELECT localtimestamp - interval '45 days', s
FROM unnest(ARRAY['completed', 'failed', 'cancelled', 'running', 'pending']) s;
INSERT INTO content.library_scans (created_at, status) VALUES (localtimestamp, 'completed');
"""


class Content:
    """Declares ``content_log`` (14 days) and ``content_scans`` (scan records)."""

    @hookimpl
    def riverhost_migrations(self) -> list[Migration]:
        return [Migration(version=1, name="rows", sql=ROWS_SQL)]

    @hookimpl(optionalhook=True)
    def riverhost_cleanup_targets(self) -> list[dict[str, object]]:
        return [
            {
                "name": "content_log",
                "table": "content.log",
                "column": "logged_at",
                "older_than": "14d",
            },
            {
                "name": "content_scans",
                "table": "content.library_scans",
                "column": "created_at",
                "older_than": "30d",
                "scan_records": True,
            },
        ]
