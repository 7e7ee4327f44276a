-- Every operator action (insert, cancel, retry, delete, pause, resume) through the admin API
-- or the CLI: who (a token's name or the OS user), what, on which job or queue, and when.
-- The maintenance plugin's activity_cleanup prunes it.
CREATE TABLE riverhost_activity (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    via text NOT NULL,                           -- 'api' or 'cli'
    action text NOT NULL,                        -- 'insert', 'cancel', 'retry', ...
    job_id bigint,
    queue text,
    detail jsonb NOT NULL DEFAULT '{}',
    CONSTRAINT actor_length CHECK (char_length(actor) BETWEEN 1 AND 128),
    CONSTRAINT action_length CHECK (char_length(action) BETWEEN 1 AND 64)
);

CREATE INDEX riverhost_activity_at_index ON riverhost_activity (at);
CREATE INDEX riverhost_activity_job_id_index ON riverhost_activity (job_id) WHERE job_id IS NOT NULL;
