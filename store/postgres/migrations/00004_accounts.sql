-- Staff accounts and what hangs off them: sessions, event memberships,
-- invitations and API tokens (docs/architecture.md, "Staff accounts,
-- sessions and roles"). Secrets are stored as SHA-256 hashes only.

-- +goose Up
CREATE TABLE accounts (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login         text        NOT NULL CONSTRAINT accounts_login_key UNIQUE,
    email         text        CONSTRAINT accounts_email_key UNIQUE, -- NULL for none
    display_name  text        NOT NULL,
    admin         boolean     NOT NULL,
    disabled      boolean     NOT NULL,
    password_hash text        NOT NULL, -- argon2id PHC string, '' for none
    oidc_issuer   text,
    oidc_subject  text,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT accounts_oidc_key UNIQUE (oidc_issuer, oidc_subject)
);

CREATE TABLE sessions (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash         bytea       NOT NULL CONSTRAINT sessions_hash_key UNIQUE,
    account_id   bigint      NOT NULL, -- 0 for the owner token
    method       text        NOT NULL,
    user_agent   text        NOT NULL,
    addr         text        NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    rotate       boolean     NOT NULL DEFAULT false
);

CREATE INDEX sessions_by_account ON sessions (account_id, id);

CREATE TABLE memberships (
    event_id   bigint      NOT NULL REFERENCES events (id),
    account_id bigint      NOT NULL REFERENCES accounts (id),
    role       text        NOT NULL,
    talks      jsonb       NOT NULL, -- talk ids, [] for all
    created_at timestamptz NOT NULL,
    PRIMARY KEY (event_id, account_id)
);

CREATE INDEX memberships_by_account ON memberships (account_id, event_id);

CREATE TABLE invitations (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash       bytea       NOT NULL CONSTRAINT invitations_hash_key UNIQUE,
    event_id   bigint      NOT NULL REFERENCES events (id),
    role       text        NOT NULL,
    talks      jsonb       NOT NULL,
    created_by bigint      NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    used_by    bigint      NOT NULL DEFAULT 0
);

CREATE INDEX invitations_by_event ON invitations (event_id, id);

CREATE TABLE api_tokens (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   bigint      NOT NULL REFERENCES accounts (id),
    name         text        NOT NULL,
    hash         bytea       NOT NULL CONSTRAINT api_tokens_hash_key UNIQUE,
    events       jsonb       NOT NULL, -- [] for all the account's
    roles        jsonb       NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz
);

CREATE INDEX api_tokens_by_account ON api_tokens (account_id, id);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE invitations;
DROP TABLE memberships;
DROP TABLE sessions;
DROP TABLE accounts;
