-- Hot, warm and cold tiers: retention policies, where each version lives, and the archive job's tasks.

-- warm: every record of the version is in `records`; cold: the rows no warm version needs were removed after
-- the version's archive was read back and its content hash matched (docs/cold-format.md); expired: a cold
-- retention policy removed the archive too (the version row stays as history).
ALTER TABLE dataset_versions ADD COLUMN tier text NOT NULL DEFAULT 'warm' CHECK (tier IN ('warm', 'cold', 'expired'));

-- One policy per environment (JSON: hotReleases, warmDays, warmVersions, coldKeepDays, per-dataset overrides).
CREATE TABLE tier_policies (
    environment text PRIMARY KEY REFERENCES environments (name),
    policy      jsonb NOT NULL,
    updated_at  timestamptz NOT NULL,
    updated_by  text NOT NULL
);

-- A version's archive in cold storage; written only in the transaction that marks the version cold.
-- (No foreign key to dataset_versions: the tests' reset truncates versions alone.)
CREATE TABLE version_archives (
    dataset_id   smallint NOT NULL,
    version      integer  NOT NULL,
    store        text     NOT NULL,
    manifest_key text     NOT NULL,
    format       integer  NOT NULL,
    compression  text     NOT NULL,
    chunks       integer  NOT NULL,
    raw_bytes    bigint   NOT NULL,
    stored_bytes bigint   NOT NULL,
    rows_removed bigint   NOT NULL,
    archived_at  timestamptz NOT NULL,
    PRIMARY KEY (dataset_id, version)
);

-- The archive job's work and its history: one row per version that left (or is leaving) warm.
-- Instances claim a task with a session advisory lock, so several may run at once (I7).
CREATE TABLE archive_tasks (
    dataset_id      smallint NOT NULL,
    version         integer  NOT NULL,
    state           text     NOT NULL CHECK (state IN ('queued', 'running', 'retrying', 'done', 'skipped')),
    attempts        integer  NOT NULL DEFAULT 0,
    queued_at       timestamptz NOT NULL,
    started_at      timestamptz NULL,
    finished_at     timestamptz NULL,
    next_attempt_at timestamptz NOT NULL,
    step            text     NULL,
    chunks_written  integer  NOT NULL DEFAULT 0,
    bytes_written   bigint   NOT NULL DEFAULT 0,
    records_written bigint   NOT NULL DEFAULT 0,
    last_error      text     NULL,
    PRIMARY KEY (dataset_id, version)
);

CREATE INDEX archive_tasks_open ON archive_tasks (next_attempt_at) WHERE state IN ('queued', 'running', 'retrying');

-- Versions that must stay warm whatever the windows say, with the reason. The hot windows of environments
-- (the releases agents hold) and the warm windows are computed by the control plane from the policies;
-- this view holds what the database alone can tell: live, in flight, pinned. Features that protect versions
-- later (schedules) extend it with CREATE OR REPLACE VIEW in their own migration, keeping the three columns.
CREATE VIEW protected_versions AS
    SELECT d.id AS dataset_id, (v.value)::int AS version, 'live in ' || e.name AS reason
    FROM environments e
    JOIN releases r ON r.id = e.live_release_id
    CROSS JOIN LATERAL jsonb_each_text(r.versions) v
    JOIN datasets d ON d.name = v.key
    UNION ALL
    SELECT d.id, (v.value)::int, 'release ' || r.id || ' in flight in ' || p.environment || ' (' || p.state || ')'
    FROM publications p
    JOIN releases r ON r.id = p.release_id
    CROSS JOIN LATERAL jsonb_each_text(r.versions) v
    JOIN datasets d ON d.name = v.key
    WHERE p.state IN ('Staging', 'Staged', 'Switching', 'Partial')
    UNION ALL
    -- A pin freezes what is live in an environment, or in one group (whose agents may hold an older release).
    SELECT d.id, (v.value)::int, 'pinned in ' || p.environment || coalesce('/' || p.agent_group, '') || ': ' || p.reason
    FROM pins p
    JOIN environments e ON e.name = p.environment
    JOIN releases r ON r.id = e.live_release_id
    CROSS JOIN LATERAL jsonb_each_text(r.versions) v
    JOIN datasets d ON d.name = v.key
    WHERE p.removed_at IS NULL
    UNION ALL
    SELECT d.id, (v.value)::int, 'pinned in ' || p.environment || coalesce('/' || p.agent_group, '') || ': ' || p.reason
    FROM pins p
    JOIN agents a ON a.environment = p.environment AND (p.agent_group IS NULL OR a.agent_group = p.agent_group)
    JOIN releases r ON r.id = (a.report->>'liveReleaseId')::bigint
    CROSS JOIN LATERAL jsonb_each_text(r.versions) v
    JOIN datasets d ON d.name = v.key
    WHERE p.removed_at IS NULL;
