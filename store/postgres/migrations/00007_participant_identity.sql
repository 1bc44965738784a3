-- Participants of an event that asks them to sign in with the OpenID
-- provider: the identity (issuer, subject) they signed in with, so that
-- one person is one participant of the event however often they sign in.
-- See docs/architecture.md, "Participants".

-- +goose Up
ALTER TABLE participants ADD COLUMN oidc_issuer TEXT;
ALTER TABLE participants ADD COLUMN oidc_subject TEXT;
CREATE UNIQUE INDEX participants_identity ON participants (event_id, oidc_issuer, oidc_subject) WHERE oidc_subject IS NOT NULL;

-- +goose Down
DROP INDEX participants_identity;
ALTER TABLE participants DROP COLUMN oidc_subject;
ALTER TABLE participants DROP COLUMN oidc_issuer;
