-- Datasets, their immutable versions, and copy-on-write record storage.

CREATE TABLE datasets (
    id          smallint PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    description text NOT NULL
);

INSERT INTO datasets (id, name, description) VALUES
    (1, 'price',   'Selling price per SKU'),
    (2, 'stock',   'Available stock per SKU'),
    (3, 'product', 'Product master data per SKU');

CREATE TABLE dataset_versions (
    dataset_id    smallint    NOT NULL REFERENCES datasets (id),
    version       integer     NOT NULL CHECK (version > 0),
    kind          text        NOT NULL CHECK (kind IN ('full', 'delta')),
    base_version  integer     NULL,
    records       bigint      NOT NULL CHECK (records >= 0),
    content_hash  text        NOT NULL,
    -- Running 256-bit sum of per-record SHA-256 digests; lets a change set update the hash in O(k).
    hash_sum      bytea       NOT NULL CHECK (octet_length(hash_sum) = 32),
    added         bigint      NOT NULL,
    changed       bigint      NOT NULL,
    removed       bigint      NOT NULL,
    created_at    timestamptz NOT NULL,
    created_by    text        NOT NULL,
    note          text        NULL,
    warnings      jsonb       NOT NULL DEFAULT '[]'::jsonb,
    PRIMARY KEY (dataset_id, version)
);

-- A record row is visible in versions [from_version, to_version). History per dataset is linear,
-- so the rows with to_version IS NULL are exactly the latest version.
CREATE TABLE records (
    dataset_id   smallint NOT NULL,
    sku          text     NOT NULL COLLATE "C",
    from_version integer  NOT NULL,
    to_version   integer  NULL,
    data         text     NOT NULL,
    PRIMARY KEY (dataset_id, sku, from_version)
) PARTITION BY LIST (dataset_id);

CREATE TABLE records_price   PARTITION OF records FOR VALUES IN (1);
CREATE TABLE records_stock   PARTITION OF records FOR VALUES IN (2);
CREATE TABLE records_product PARTITION OF records FOR VALUES IN (3);

-- Diffs find the rows opened or closed between two versions A < B; both stay O(changes).
-- Rows of version 1 are never "opened after A" (A >= 1), so they stay out of the index and the first,
-- usually largest, import of a dataset pays only for the primary key. Queries repeat the predicate.
CREATE INDEX records_opened ON records (dataset_id, from_version) WHERE from_version > 1;
CREATE INDEX records_closed ON records (dataset_id, to_version) WHERE to_version IS NOT NULL;
