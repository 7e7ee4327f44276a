-- River version 5 (River 0.10.0): migration lines, the first unique-key column, and two
-- client tables that were never used (version 7 drops them).

-- Rebuild river_migration keyed by (line, version), carrying the old rows over as line
-- 'main'. The table may be missing when River's schema was created by some other migration
-- tool; then there is nothing to rebuild.
DO $rebuild$
BEGIN
    IF to_regclass('river_migration') IS NOT NULL THEN
        ALTER TABLE river_migration RENAME TO river_migration_old;

        CREATE TABLE river_migration (
            line text NOT NULL,
            version bigint NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT line_length CHECK (char_length(line) > 0 AND char_length(line) < 128),
            CONSTRAINT version_gte_1 CHECK (version >= 1),
            PRIMARY KEY (line, version)
        );

        INSERT INTO river_migration (created_at, line, version)
        SELECT created_at, 'main', version
        FROM river_migration_old;

        DROP TABLE river_migration_old;
    END IF;
END;
$rebuild$ LANGUAGE plpgsql;

-- IF NOT EXISTS: operators with a big river_job may have added the column and built the
-- index CONCURRENTLY beforehand; this step then only finds them in place.
ALTER TABLE river_job ADD COLUMN IF NOT EXISTS unique_key bytea;

-- Version 6 replaces this index with river_job_unique_idx.
CREATE UNIQUE INDEX IF NOT EXISTS river_job_kind_unique_key_idx ON river_job (kind, unique_key)
    WHERE unique_key IS NOT NULL;

CREATE UNLOGGED TABLE river_client (
    id text PRIMARY KEY NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    metadata jsonb NOT NULL DEFAULT '{}',
    paused_at timestamptz,
    updated_at timestamptz NOT NULL,
    CONSTRAINT name_length CHECK (char_length(id) > 0 AND char_length(id) < 128)
);

CREATE UNLOGGED TABLE river_client_queue (
    river_client_id text NOT NULL REFERENCES river_client (id) ON DELETE CASCADE,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    max_workers bigint NOT NULL DEFAULT 0,
    metadata jsonb NOT NULL DEFAULT '{}',
    num_jobs_completed bigint NOT NULL DEFAULT 0,
    num_jobs_running bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (river_client_id, name),
    CONSTRAINT name_length CHECK (char_length(name) > 0 AND char_length(name) < 128),
    CONSTRAINT num_jobs_completed_zero_or_positive CHECK (num_jobs_completed >= 0),
    CONSTRAINT num_jobs_running_zero_or_positive CHECK (num_jobs_running >= 0)
);
