-- Identity (API tokens, UI users), the append-only audit log, idempotency keys, approvals and pins.

-- Bearer tokens. Only the SHA-256 of a token is kept; the token itself is shown once, when it is made.
CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    -- The identity the token acts as: changes are recorded under this name (a person, "ci", an agent id).
    name         text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,127}$'),
    role         text NOT NULL CHECK (role IN ('viewer', 'operator', 'approver', 'admin', 'agent')),
    -- Agent tokens are bound to one agent id; no other token has one.
    agent_id     text NULL,
    -- api: made through the API; session: made by a UI login; configured: from configuration at start.
    kind         text NOT NULL CHECK (kind IN ('api', 'session', 'configured')),
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    -- The token's first characters, so people can tell their tokens apart without the secret.
    prefix       text NOT NULL,
    created_at   timestamptz NOT NULL,
    created_by   text NOT NULL,
    expires_at   timestamptz NULL,
    revoked_at   timestamptz NULL,
    revoked_by   text NULL,
    last_used_at timestamptz NULL,
    CHECK ((role = 'agent') = (agent_id IS NOT NULL))
);

CREATE INDEX api_tokens_by_name ON api_tokens (name, id DESC);

-- People who log in to the UI. The password hash is PBKDF2 in a self-describing string (docs/decisions.md).
CREATE TABLE users (
    username      text PRIMARY KEY CHECK (username ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$'),
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('viewer', 'operator', 'approver', 'admin')),
    created_at    timestamptz NOT NULL,
    created_by    text NOT NULL,
    disabled_at   timestamptz NULL
);

-- Every change, appended; nothing updates or deletes an entry (the trigger below refuses it).
CREATE TABLE audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    kind        text NOT NULL,
    environment text NULL,
    target      text NULL,
    reason      text NULL,
    before      jsonb NULL,
    after       jsonb NULL
);

CREATE INDEX audit_by_time ON audit (at, id);
CREATE INDEX audit_by_actor ON audit (actor, id DESC);
CREATE INDEX audit_by_environment ON audit (environment, id DESC);
CREATE INDEX audit_by_kind ON audit (kind, id DESC);

CREATE FUNCTION audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_is_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION audit_is_append_only();

-- POSTs with an Idempotency-Key: the first answer, replayed for the same key and body.
CREATE TABLE idempotency_keys (
    actor        text NOT NULL,
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    method       text NOT NULL,
    path         text NOT NULL,
    created_at   timestamptz NOT NULL,
    -- Null while the first request is still being handled.
    completed_at timestamptz NULL,
    status       int NULL,
    content_type text NULL,
    location     text NULL,
    body         bytea NULL,
    PRIMARY KEY (actor, key)
);

CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

-- Approval policy per environment; an environment without a row has the defaults (no approvals needed).
CREATE TABLE environment_policies (
    environment         text PRIMARY KEY REFERENCES environments (name),
    required_approvals  int NOT NULL DEFAULT 0 CHECK (required_approvals BETWEEN 0 AND 10),
    creator_may_approve boolean NOT NULL DEFAULT false,
    -- The role that may publish without the approvals in an emergency (with a reason); null: nobody.
    emergency_role      text NULL CHECK (emergency_role IN ('operator', 'approver', 'admin')),
    updated_at          timestamptz NOT NULL,
    updated_by          text NOT NULL
);

CREATE TABLE approvals (
    id                    bigserial PRIMARY KEY,
    release_id            bigint NOT NULL REFERENCES releases (id),
    approver              text NOT NULL,
    role                  text NOT NULL,
    approved_at           timestamptz NOT NULL,
    comment               text NULL,
    -- Guardrail warnings of the release's versions this approver acknowledged ("price:3:price-moved").
    acknowledged_warnings jsonb NOT NULL DEFAULT '[]'::jsonb,
    UNIQUE (release_id, approver)
);

-- Pins freeze what is live in an environment (agent_group null) or in one group until removed.
CREATE TABLE pins (
    id          bigserial PRIMARY KEY,
    environment text NOT NULL REFERENCES environments (name),
    agent_group text NULL,
    reason      text NOT NULL,
    created_at  timestamptz NOT NULL,
    created_by  text NOT NULL,
    removed_at  timestamptz NULL,
    removed_by  text NULL,
    FOREIGN KEY (environment, agent_group) REFERENCES agent_groups (environment, name)
);

CREATE UNIQUE INDEX pins_one_active ON pins (environment, coalesce(agent_group, '')) WHERE removed_at IS NULL;
