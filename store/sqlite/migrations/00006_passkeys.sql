-- Passkeys (WebAuthn) for staff accounts: their credentials, each
-- account's random WebAuthn user handle, the ceremonies begun and not yet
-- finished, and the account setting that makes a passkey the second
-- factor of a password sign-in. See docs/architecture.md, "Passkeys".

-- +goose Up
ALTER TABLE accounts ADD COLUMN passkey_required INTEGER NOT NULL DEFAULT 0 CHECK (passkey_required IN (0, 1));

-- The user handle authenticators keep with a discoverable credential:
-- 32 random bytes, never the account's id or login. Made on the
-- account's first registration.
CREATE TABLE passkey_users (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id),
    handle     BLOB    NOT NULL UNIQUE
) STRICT;

CREATE TABLE passkeys (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    credential_id BLOB    NOT NULL UNIQUE,
    rp_id         TEXT    NOT NULL,
    credential    TEXT    NOT NULL, -- go-webauthn's webauthn.Credential as JSON
    name          TEXT    NOT NULL,
    sign_count    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
) STRICT;

CREATE INDEX passkeys_by_account ON passkeys (account_id, id);

-- Single-use: taken by deleting the row.
CREATE TABLE passkey_ceremonies (
    id         INTEGER PRIMARY KEY,
    hash       BLOB    NOT NULL UNIQUE, -- SHA-256 of the secret the browser holds
    kind       TEXT    NOT NULL CHECK (kind IN ('register', 'login', 'second_factor')),
    account_id INTEGER NOT NULL, -- 0 for a discoverable login
    session    TEXT    NOT NULL, -- go-webauthn's webauthn.SessionData as JSON
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX passkey_ceremonies_by_expiry ON passkey_ceremonies (expires_at);

-- +goose Down
DROP TABLE passkey_ceremonies;
DROP TABLE passkeys;
DROP TABLE passkey_users;
ALTER TABLE accounts DROP COLUMN passkey_required;
