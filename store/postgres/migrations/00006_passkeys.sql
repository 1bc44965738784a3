-- Passkeys (WebAuthn) for staff accounts: their credentials, each
-- account's random WebAuthn user handle, the ceremonies begun and not yet
-- finished, and the account setting that makes a passkey the second
-- factor of a password sign-in. See docs/architecture.md, "Passkeys".

-- +goose Up
ALTER TABLE accounts ADD COLUMN passkey_required boolean NOT NULL DEFAULT false;

-- The user handle authenticators keep with a discoverable credential:
-- 32 random bytes, never the account's id or login. Made on the
-- account's first registration.
CREATE TABLE passkey_users (
    account_id bigint PRIMARY KEY REFERENCES accounts (id),
    handle     bytea  NOT NULL CONSTRAINT passkey_users_handle_key UNIQUE
);

CREATE TABLE passkeys (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    bigint      NOT NULL REFERENCES accounts (id),
    credential_id bytea       NOT NULL CONSTRAINT passkeys_credential_id_key UNIQUE,
    rp_id         text        NOT NULL,
    credential    jsonb       NOT NULL, -- go-webauthn's webauthn.Credential
    name          text        NOT NULL,
    sign_count    bigint      NOT NULL,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz
);

CREATE INDEX passkeys_by_account ON passkeys (account_id, id);

-- Single-use: taken by deleting the row.
CREATE TABLE passkey_ceremonies (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash       bytea       NOT NULL CONSTRAINT passkey_ceremonies_hash_key UNIQUE, -- SHA-256 of the browser's secret
    kind       text        NOT NULL CHECK (kind IN ('register', 'login', 'second_factor')),
    account_id bigint      NOT NULL, -- 0 for a discoverable login
    session    jsonb       NOT NULL, -- go-webauthn's webauthn.SessionData
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE INDEX passkey_ceremonies_by_expiry ON passkey_ceremonies (expires_at);

-- +goose Down
DROP TABLE passkey_ceremonies;
DROP TABLE passkeys;
DROP TABLE passkey_users;
ALTER TABLE accounts DROP COLUMN passkey_required;
