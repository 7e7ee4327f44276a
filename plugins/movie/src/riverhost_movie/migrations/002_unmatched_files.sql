-- Files a scan could not match (or skipped as samples), with the size and mtime it saw: a
-- rescan skips them while they are unchanged instead of asking TMDb again every time.
CREATE TABLE movie.unmatched_files (
    file_path       text PRIMARY KEY,
    library_id      text NOT NULL,
    file_size       bigint NOT NULL,
    file_mtime_ns   bigint NOT NULL,
    reason          text NOT NULL,
    last_scanned_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX unmatched_files_library ON movie.unmatched_files (library_id, last_scanned_at);
