-- Environments, their agent groups and agents; releases and their publications (publish / rollback runs).

CREATE TABLE environments (
    name            text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    -- Fencing generation: raised by every barrier decision; agents only switch to a higher one.
    generation      bigint NOT NULL DEFAULT 0,
    live_release_id bigint NULL,
    created_at      timestamptz NOT NULL
);

CREATE TABLE agent_groups (
    environment text NOT NULL REFERENCES environments (name),
    name        text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    PRIMARY KEY (environment, name)
);

CREATE TABLE agents (
    id              text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$'),
    environment     text NOT NULL,
    agent_group     text NOT NULL,
    registered_at   timestamptz NOT NULL,
    last_seen_at    timestamptz NOT NULL,
    -- The agent's last report (held releases, live release and generation, staging progress, last error).
    report          jsonb NOT NULL DEFAULT '{}'::jsonb,
    clock_offset_ms double precision NULL,
    FOREIGN KEY (environment, agent_group) REFERENCES agent_groups (environment, name)
);

CREATE TABLE releases (
    id          bigserial PRIMARY KEY,
    environment text NOT NULL REFERENCES environments (name),
    versions    jsonb NOT NULL,
    note        text NULL,
    created_at  timestamptz NOT NULL,
    created_by  text NOT NULL
);

ALTER TABLE environments ADD FOREIGN KEY (live_release_id) REFERENCES releases (id);

-- One row per attempt to make a release live: a publish, or a rollback to an earlier release.
CREATE TABLE publications (
    id                  bigserial PRIMARY KEY,
    environment         text NOT NULL REFERENCES environments (name),
    release_id          bigint NOT NULL REFERENCES releases (id),
    kind                text NOT NULL CHECK (kind IN ('publish', 'rollback')),
    state               text NOT NULL CHECK (state IN ('Staging', 'Staged', 'Switching', 'Live', 'Failed', 'Aborted', 'Superseded', 'Partial')),
    generation          bigint NULL,
    previous_release_id bigint NULL REFERENCES releases (id),
    requested_at        timestamptz NOT NULL,
    requested_by        text NOT NULL,
    staged_at           timestamptz NULL,
    live_at             timestamptz NULL,
    ended_at            timestamptz NULL,
    stage_deadline_at   timestamptz NOT NULL,
    switch_deadline_at  timestamptz NULL,
    reason              text NULL
);

-- One publication at a time may be in flight per environment.
CREATE UNIQUE INDEX publications_one_in_flight ON publications (environment) WHERE state IN ('Staging', 'Staged', 'Switching');
CREATE INDEX publications_by_release ON publications (release_id, id DESC);
CREATE INDEX publications_by_environment ON publications (environment, id DESC);

CREATE TABLE publication_agents (
    publication_id bigint NOT NULL REFERENCES publications (id),
    agent_id       text NOT NULL REFERENCES agents (id),
    phase          text NOT NULL CHECK (phase IN ('Waiting', 'Staging', 'Staged', 'Switched', 'Failed')),
    records_staged bigint NOT NULL DEFAULT 0,
    records_total  bigint NOT NULL DEFAULT 0,
    bytes          bigint NOT NULL DEFAULT 0,
    staged_at      timestamptz NULL,
    switched_at    timestamptz NULL,
    error          text NULL,
    PRIMARY KEY (publication_id, agent_id)
);
