-- SaaS and cloud discovery (server/src/import/platforms, docs/imports.md):
-- what the platforms' own records said of the agents and grants they name.
-- Agents, credentials, people and resources are the inventory's own rows;
-- these tables keep only the platform's side of them.

-- An agent a platform's records named (a grant to an AI application, a
-- Bedrock or Vertex agent, an Entra agent identity): one row an agent.
CREATE TABLE platform_agent (
    agent_id     BIGINT PRIMARY KEY REFERENCES agent (id),
    platform     TEXT NOT NULL,
    -- The platform's key of the agent, found again by the next import.
    source_key   TEXT NOT NULL UNIQUE,
    -- The platform's identifier: client id, app slug, ARN, resource name.
    identifier   TEXT NOT NULL,
    -- The catalogue's entry, when it is an AI application's grant.
    app_key      TEXT,
    matched      TEXT CHECK (matched IN ('exact', 'publisher', 'name', 'promoted')),
    matched_on   TEXT,
    consent      TEXT CHECK (consent IN ('user', 'tenant', 'admin', 'owner')),
    consented_by TEXT,
    import_id    BIGINT NOT NULL,
    seen_at      TEXT NOT NULL,
    -- An admin's word (1 sanctioned, 0 shadow); NULL: the sanctioned list decides.
    marked       INTEGER
);
CREATE INDEX platform_agent_app ON platform_agent (app_key);

-- A grant or token a platform's records named: one row a credential.
CREATE TABLE platform_grant (
    credential_id BIGINT PRIMARY KEY REFERENCES credential (id),
    platform      TEXT NOT NULL,
    -- `<kind>[:<source>]`: a full import speaks for what it found under it.
    found_by      TEXT NOT NULL,
    -- Which listing named it (`oauth_grant`, `fine_grained_token`, ...): a
    -- full import revokes only what a listing it read would have named.
    family        TEXT NOT NULL,
    -- What the listing covered (a Google user's tokens.list), else ''.
    covered_by    TEXT NOT NULL DEFAULT '',
    client_id     TEXT,
    app_name      TEXT,
    consent       TEXT NOT NULL CHECK (consent IN ('user', 'tenant', 'admin', 'owner')),
    consented_by  TEXT,
    agent_id      BIGINT REFERENCES agent (id),
    present       INTEGER NOT NULL CHECK (present IN (0, 1)),
    import_id     BIGINT NOT NULL,
    seen_at       TEXT NOT NULL,
    -- When the platform last said what the grant is (a listing: when it was
    -- imported; an event: when it happened), so that an older event read
    -- later does not undo a newer word.
    state_at      TEXT NOT NULL
);
CREATE INDEX platform_grant_scope ON platform_grant (found_by, family, covered_by);
CREATE INDEX platform_grant_agent ON platform_grant (agent_id);

-- Who a platform's handle is (an Entra user id, an Okta user id, a Google
-- profile id, a GitHub login): the person, by email.
CREATE TABLE platform_identity (
    platform TEXT NOT NULL,
    handle   TEXT NOT NULL,
    email    TEXT NOT NULL,
    PRIMARY KEY (platform, handle)
);
-- People are found by email whatever its case: the platforms' pages name
-- tens of thousands of them, each looked up once an import.
CREATE INDEX person_email_lower ON person (lower(email));

-- Admins' entries in the catalogue of AI applications (the built-in ones
-- are server/catalogue/ai-apps.yaml). Lists are JSON arrays of strings.
CREATE TABLE ai_app (
    -- Never reused (AUTOINCREMENT, an identity): a deleted entry's key (`admin-<id>`) names no other.
    id          {{identity autoincrement}},
    name        TEXT NOT NULL,
    vendor      TEXT NOT NULL,
    client_ids  TEXT NOT NULL,
    github_apps TEXT NOT NULL,
    publishers  TEXT NOT NULL,
    names       TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- The provider's own public hash of a token (GitHub's `hashed_token`:
-- base64 of its SHA-256), computed while a scanner's secret is in memory,
-- so that the provider's audit log joins the copies found.
ALTER TABLE credential ADD COLUMN provider_hash TEXT;
CREATE INDEX credential_provider_hash ON credential (provider_hash);
