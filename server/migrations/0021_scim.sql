-- People from the identity provider over SCIM 2.0 (RFC 7643/7644).
--
-- A SCIM user is an inventory person: its SCIM id is the person's id. The
-- document is what the provider last sent (never a password), so that what
-- it reads back is what it wrote; the person's name, email, team, manager
-- and status are taken from it. Deleting a SCIM user removes this row only:
-- the person stays, departed, with their history.
CREATE TABLE scim_user (
    person_id     BIGINT PRIMARY KEY REFERENCES person (id),
    user_name_key TEXT NOT NULL UNIQUE,
    external_id   TEXT,
    document      TEXT NOT NULL,
    version       BIGINT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX scim_user_external_id ON scim_user (external_id);

-- A SCIM group, with its members in the document.
CREATE TABLE scim_group (
    id           {{identity}},
    name_key     TEXT NOT NULL UNIQUE,
    external_id  TEXT,
    document     TEXT NOT NULL,
    version      BIGINT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- The bearer tokens the provider calls `/scim/v2` with: shown once, stored
-- as SHA-256 only, expiring, revocable. They open `/scim/v2` and nothing else.
CREATE TABLE scim_token (
    id           {{identity}},
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT
);
