-- Live changes (issue 8): a per-dataset change log with sequence numbers, idempotent batches, the watermark of
-- every version (the last change it includes) and what each agent has applied. docs/decisions.md "Live changes".

-- The change sequence a version includes: a release shows the version plus every change with seq > watermark.
ALTER TABLE dataset_versions ADD COLUMN change_watermark bigint NOT NULL DEFAULT 0;

-- Versions made by folding the change log get their own kind.
ALTER TABLE dataset_versions DROP CONSTRAINT dataset_versions_kind_check;
ALTER TABLE dataset_versions ADD CONSTRAINT dataset_versions_kind_check CHECK (kind IN ('full', 'delta', 'fold'));

-- One row per dataset: the last sequence number handed out and the dataset's change policy.
CREATE TABLE change_streams (
    dataset_id     smallint PRIMARY KEY REFERENCES datasets (id),
    last_seq       bigint  NOT NULL DEFAULT 0,
    allow_oversell boolean NOT NULL DEFAULT false
);
INSERT INTO change_streams (dataset_id) SELECT id FROM datasets;

-- One row per accepted batch; the answer is kept so a retry with the same Idempotency-Key gets it again.
CREATE TABLE change_batches (
    id              bigserial PRIMARY KEY,
    dataset_id      smallint    NOT NULL REFERENCES datasets (id),
    idempotency_key text        NULL,
    body_sha256     text        NOT NULL,
    accepted_at     timestamptz NOT NULL,
    accepted_by     text        NOT NULL,
    answer          jsonb       NOT NULL
);
-- A key is the caller's: two callers may pick the same one without meeting.
CREATE UNIQUE INDEX change_batches_idempotency ON change_batches (dataset_id, accepted_by, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- The change log. `data` is the record after the change (canonical JSON), NULL for a deletion: an adjust is resolved
-- against the dataset's head when accepted, so agents only ever write absolute values.
CREATE TABLE changes (
    dataset_id  smallint    NOT NULL REFERENCES datasets (id),
    seq         bigint      NOT NULL,
    sku         text        NOT NULL COLLATE "C",
    op          text        NOT NULL CHECK (op IN ('upsert', 'delete', 'adjust')),
    delta       bigint      NULL,
    data        text        NULL,
    batch_id    bigint      NOT NULL REFERENCES change_batches (id),
    accepted_at timestamptz NOT NULL,
    -- The version that absorbed (fold, change set) or superseded (full import) this change.
    folded_into integer     NULL,
    PRIMARY KEY (dataset_id, seq)
);
CREATE INDEX changes_by_sku ON changes (dataset_id, sku, seq DESC);
CREATE INDEX changes_unfolded ON changes (dataset_id, seq) WHERE folded_into IS NULL;
CREATE INDEX changes_by_batch ON changes (batch_id);

-- What each agent has applied, as it says with every pull (the `after` of its request).
CREATE TABLE agent_change_positions (
    agent_id    text        NOT NULL REFERENCES agents (id),
    dataset_id  smallint    NOT NULL REFERENCES datasets (id),
    applied_seq bigint      NOT NULL,
    reported_at timestamptz NOT NULL,
    PRIMARY KEY (agent_id, dataset_id)
);
