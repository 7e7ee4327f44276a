-- River version 7 (River 0.40.0): a notification outbox, plus cleanup. The outbox serves
-- River's SQLite driver; on PostgreSQL it stays empty. The SQLite jsonb conversion of this
-- version has nothing to do on PostgreSQL, whose JSON columns are jsonb already.

CREATE TABLE river_notification (
    id bigserial PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    payload text NOT NULL,
    topic text NOT NULL,
    CONSTRAINT topic_length CHECK (length(topic) > 0 AND length(topic) < 128)
);

CREATE INDEX river_notification_created_at_idx ON river_notification (created_at);
CREATE INDEX river_notification_topic_id_idx ON river_notification (topic, id);

-- The client tables of version 5 were never used. The queue table goes first because it
-- references the other.
DROP TABLE river_client_queue;
DROP TABLE river_client;

-- Inserts may now leave max_attempts out.
ALTER TABLE river_job ALTER COLUMN max_attempts SET DEFAULT 25;

ALTER TABLE river_queue ALTER COLUMN updated_at SET DEFAULT CURRENT_TIMESTAMP;
