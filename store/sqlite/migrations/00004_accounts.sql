-- Staff accounts and what hangs off them: sessions, event memberships,
-- invitations and API tokens (docs/architecture.md, "Staff accounts,
-- sessions and roles"). Secrets are stored as SHA-256 hashes only.

-- +goose Up
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    login         TEXT    NOT NULL UNIQUE,
    email         TEXT,   -- NULL for none; unique when set
    display_name  TEXT    NOT NULL,
    admin         INTEGER NOT NULL CHECK (admin IN (0, 1)),
    disabled      INTEGER NOT NULL CHECK (disabled IN (0, 1)),
    password_hash TEXT    NOT NULL, -- argon2id PHC string, '' for none
    oidc_issuer   TEXT,
    oidc_subject  TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (oidc_issuer, oidc_subject)
) STRICT;

CREATE UNIQUE INDEX accounts_email ON accounts (email) WHERE email IS NOT NULL;

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    hash         BLOB    NOT NULL UNIQUE,
    account_id   INTEGER NOT NULL, -- 0 for the owner token
    method       TEXT    NOT NULL,
    user_agent   TEXT    NOT NULL,
    addr         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    rotate       INTEGER NOT NULL DEFAULT 0 CHECK (rotate IN (0, 1))
) STRICT;

CREATE INDEX sessions_by_account ON sessions (account_id, id);

CREATE TABLE memberships (
    event_id   INTEGER NOT NULL REFERENCES events (id),
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    role       TEXT    NOT NULL,
    talks      TEXT    NOT NULL, -- JSON array of talk ids, [] for all
    created_at INTEGER NOT NULL,
    PRIMARY KEY (event_id, account_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX memberships_by_account ON memberships (account_id, event_id);

CREATE TABLE invitations (
    id         INTEGER PRIMARY KEY,
    hash       BLOB    NOT NULL UNIQUE,
    event_id   INTEGER NOT NULL REFERENCES events (id),
    role       TEXT    NOT NULL,
    talks      TEXT    NOT NULL,
    created_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    used_by    INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX invitations_by_event ON invitations (event_id, id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id),
    name         TEXT    NOT NULL,
    hash         BLOB    NOT NULL UNIQUE,
    events       TEXT    NOT NULL, -- JSON array, [] for all the account's
    roles        TEXT    NOT NULL, -- JSON array
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER
) STRICT;

CREATE INDEX api_tokens_by_account ON api_tokens (account_id, id);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE invitations;
DROP TABLE memberships;
DROP TABLE sessions;
DROP TABLE accounts;
