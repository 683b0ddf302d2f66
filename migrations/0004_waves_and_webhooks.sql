-- Waves and canary (a publication goes live group by group, holding between waves), and webhooks (a release
-- event outbox, subscriptions per environment, deliveries with every attempt recorded). docs/decisions.md.

-- Holding: a wave is live and the next waits for promote (or its hold time). Aborting: the waves already live
-- switch back to the release that was live before. Both are in flight: one publication at a time per environment.
-- A later migration that rebuilds this check must keep these two states.
ALTER TABLE publications DROP CONSTRAINT publications_state_check;
ALTER TABLE publications ADD CONSTRAINT publications_state_check
    CHECK (state IN ('Staging', 'Staged', 'Switching', 'Holding', 'Aborting', 'Live', 'Failed', 'Aborted', 'Superseded', 'Partial'));
DROP INDEX publications_one_in_flight;
CREATE UNIQUE INDEX publications_one_in_flight ON publications (environment)
    WHERE state IN ('Staging', 'Staged', 'Switching', 'Holding', 'Aborting');

ALTER TABLE publications
    -- NULL: every agent at once (the two-phase publish of docs/publish.md). Otherwise the number of waves.
    ADD COLUMN wave_count       int NULL CHECK (wave_count > 0),
    ADD COLUMN current_wave     int NULL,
    ADD COLUMN canary_percent   int NULL CHECK (canary_percent BETWEEN 1 AND 99),
    -- After a wave is live the next is promoted automatically this long after, unless someone aborts.
    ADD COLUMN hold_seconds     int NULL CHECK (hold_seconds >= 0),
    ADD COLUMN hold_until       timestamptz NULL,
    -- The fencing generation at which the waves already live switch back to previous_release_id.
    ADD COLUMN abort_generation bigint NULL;

ALTER TABLE publication_agents ADD COLUMN wave int NOT NULL DEFAULT 0;

CREATE TABLE publication_waves (
    publication_id bigint NOT NULL REFERENCES publications (id),
    wave           int NOT NULL,
    -- The agent groups of the wave; NULL for the waves of a canary (a share of agents, then the rest).
    groups         text[] NULL,
    state          text NOT NULL CHECK (state IN ('Pending', 'Staging', 'Switching', 'Live', 'Reverting', 'Reverted', 'Cancelled', 'Failed')),
    generation     bigint NULL,
    started_at     timestamptz NULL,
    staged_at      timestamptz NULL,
    live_at        timestamptz NULL,
    ended_at       timestamptz NULL,
    started_by     text NULL,
    PRIMARY KEY (publication_id, wave)
);

-- Subscriptions: the secret signs every delivery (HMAC-SHA256) and is never shown again after creation.
CREATE TABLE webhooks (
    id          bigserial PRIMARY KEY,
    environment text NOT NULL REFERENCES environments (name),
    url         text NOT NULL,
    secret      text NOT NULL,
    events      text[] NOT NULL,
    created_at  timestamptz NOT NULL,
    created_by  text NOT NULL
);
CREATE INDEX webhooks_by_environment ON webhooks (environment);

-- The outbox: written in the same transaction as the state change an event reports.
CREATE TABLE release_events (
    id          bigserial PRIMARY KEY,
    environment text NOT NULL,
    kind        text NOT NULL,
    release_id  bigint NULL,
    payload     jsonb NOT NULL,
    occurred_at timestamptz NOT NULL
);

-- One delivery per event and subscription. A dispatcher claims due rows with SKIP LOCKED and a lease, so several
-- control plane instances deliver side by side and a crashed one's claims run out.
CREATE TABLE webhook_deliveries (
    id              bigserial PRIMARY KEY,
    webhook_id      bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        bigint NOT NULL REFERENCES release_events (id),
    state           text NOT NULL CHECK (state IN ('Pending', 'Delivered', 'Failed')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    leased_until    timestamptz NULL,
    last_status     int NULL,
    last_error      text NULL,
    created_at      timestamptz NOT NULL,
    ended_at        timestamptz NULL,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'Pending';

CREATE TABLE webhook_attempts (
    delivery_id bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt     int NOT NULL,
    started_at  timestamptz NOT NULL,
    duration_ms double precision NOT NULL,
    status_code int NULL,
    error       text NULL,
    PRIMARY KEY (delivery_id, attempt)
);
