-- River version 1: the table River's migrator records applied versions in.
-- This is the original (pre-line) format; version 5 rebuilds it keyed by (line, version).
CREATE TABLE river_migration (
    id bigserial PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    version bigint NOT NULL,
    CONSTRAINT version CHECK (version >= 1)
);

CREATE UNIQUE INDEX ON river_migration USING btree (version);
