-- River version 2: the job table, its state enum and indexes, the insert trigger, and the
-- leader lease table. Versions 3, 4, 5 and 7 later amend what is created here, so the
-- statements below describe River as it was at version 2, not as it is now.

-- 'pending' is not here on purpose: version 4 adds it after 'discarded'.
CREATE TYPE river_job_state AS ENUM (
    'available',
    'cancelled',
    'completed',
    'discarded',
    'retryable',
    'running',
    'scheduled'
);

-- The column order is River's and is what SELECT * returns; keep it.
CREATE TABLE river_job (
    id bigserial PRIMARY KEY,
    state river_job_state NOT NULL DEFAULT 'available',
    attempt smallint NOT NULL DEFAULT 0,
    max_attempts smallint NOT NULL,
    attempted_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    finalized_at timestamptz,
    scheduled_at timestamptz NOT NULL DEFAULT now(),
    priority smallint NOT NULL DEFAULT 1,
    args jsonb,
    attempted_by text[],
    errors jsonb[],
    kind text NOT NULL,
    metadata jsonb NOT NULL DEFAULT '{}',
    queue text NOT NULL DEFAULT 'default',
    tags varchar(255)[],

    -- Version 4 replaces this one with a stricter "iff" form.
    CONSTRAINT finalized_or_finalized_at_null CHECK (
        (state IN ('cancelled', 'completed', 'discarded') AND finalized_at IS NOT NULL)
        OR finalized_at IS NULL
    ),
    CONSTRAINT max_attempts_is_positive CHECK (max_attempts > 0),
    CONSTRAINT priority_in_range CHECK (priority >= 1 AND priority <= 4),
    CONSTRAINT queue_length CHECK (char_length(queue) > 0 AND char_length(queue) < 128),
    CONSTRAINT kind_length CHECK (char_length(kind) > 0 AND char_length(kind) < 128)
);

CREATE INDEX river_job_kind ON river_job USING btree (kind);

-- The cleaner deletes finalized jobs by age through this one.
CREATE INDEX river_job_state_and_finalized_at_index ON river_job USING btree (state, finalized_at)
    WHERE finalized_at IS NOT NULL;

-- The fetch index: producers lock the next available jobs of a queue in priority order.
CREATE INDEX river_job_prioritized_fetching_index
    ON river_job USING btree (state, queue, priority, scheduled_at, id);

CREATE INDEX river_job_args_index ON river_job USING gin (args);

CREATE INDEX river_job_metadata_index ON river_job USING gin (metadata);

-- Early River announced every available insert from a trigger. Version 4 drops both the
-- trigger and its function; notifications come from application code since then.
CREATE OR REPLACE FUNCTION river_job_notify()
    RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    payload json;
BEGIN
    IF NEW.state = 'available' THEN
        payload = json_build_object('queue', NEW.queue);
        PERFORM pg_notify('river_insert', payload::text);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER river_notify
    AFTER INSERT ON river_job
    FOR EACH ROW
    EXECUTE PROCEDURE river_job_notify();

-- The leader lease. UNLOGGED: a lease need not survive a crash, and writes stay cheap.
CREATE UNLOGGED TABLE river_leader (
    elected_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    leader_id text NOT NULL,
    name text PRIMARY KEY,

    -- Version 4 narrows this to name = 'default' under the same constraint name.
    CONSTRAINT name_length CHECK (char_length(name) > 0 AND char_length(name) < 128),
    CONSTRAINT leader_id_length CHECK (char_length(leader_id) > 0 AND char_length(leader_id) < 128)
);
