-- Sign-in with the organisation's identity provider (OpenID Connect).
--
-- An account made by the provider is found again by the provider's subject,
-- never by its email alone (an email can be reassigned); it has no password
-- (an empty hash, which no password verifies).
ALTER TABLE account ADD COLUMN oidc_issuer TEXT;
ALTER TABLE account ADD COLUMN oidc_subject TEXT;
CREATE UNIQUE INDEX account_oidc ON account (oidc_issuer, oidc_subject);

-- How each session was opened: a session opened by the provider signs out
-- at the provider too (RP-initiated logout).
ALTER TABLE session ADD COLUMN method TEXT NOT NULL DEFAULT 'password'
    CHECK (method IN ('password', 'oidc'));
-- The ID token of a session the provider opened, kept only while the session
-- lives, for the `id_token_hint` of the provider's sign-out (Okta needs it).
ALTER TABLE session ADD COLUMN id_token TEXT;

-- A sign-in under way at the provider: single use, ten minutes at most.
-- Found by the SHA-256 of its `state`; bound to the browser that started it
-- by the SHA-256 of a cookie; the PKCE verifier and the nonce are kept here,
-- server-side, never in the browser.
CREATE TABLE oidc_login (
    state_hash    TEXT PRIMARY KEY,
    browser_hash  TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    return_to     TEXT NOT NULL,
    address       TEXT,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);
CREATE INDEX oidc_login_expiry ON oidc_login (expires_at);
CREATE INDEX oidc_login_address ON oidc_login (address);

-- The identity provider's own id of a person (SCIM `externalId`; for Okta,
-- the same as the OIDC subject), so that a person signing in is linked to
-- their inventory person by it before their email is tried.
ALTER TABLE person ADD COLUMN external_id TEXT;
CREATE INDEX person_external_id ON person (external_id);
