-- One row per notification job and agent: the last delivery and its result, so a retry of the
-- job sends only to the agents not yet reached. Pruned by the `notification_deliveries`
-- cleanup target (updated_at, 30 days).
CREATE SCHEMA IF NOT EXISTS "maintenance";

CREATE TABLE "maintenance".notification_delivery (
    job_id     bigint      NOT NULL,
    agent      text        NOT NULL,
    state      text        NOT NULL CHECK (state IN ('sent', 'failed')),
    attempt    smallint    NOT NULL,               -- the job's attempt that wrote this row
    tries      integer     NOT NULL DEFAULT 1,     -- sends to this agent so far
    error      text,
    sent_at    timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, agent)
);

CREATE INDEX notification_delivery_updated_at_index
    ON "maintenance".notification_delivery (updated_at);
