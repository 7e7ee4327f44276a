-- Every running host process records itself here and heartbeats, so the fleet knows who is
-- alive and what each kind's timeout is, even for kinds the leader itself has no plugin for.
CREATE TABLE riverhost_host (
    id text PRIMARY KEY,                         -- as written into river_job.attempted_by
    hostname text NOT NULL,
    pid integer NOT NULL,
    version text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    stopped_at timestamptz,
    queues jsonb NOT NULL DEFAULT '{}',          -- {"queue": max_workers}
    kinds jsonb NOT NULL DEFAULT '{}',           -- {"kind": {"plugin": p, "timeout_s": n}}
    CONSTRAINT id_length CHECK (char_length(id) BETWEEN 1 AND 128)
);

CREATE INDEX riverhost_host_heartbeat_at_index ON riverhost_host (heartbeat_at);
