-- The lineage graph: person -owns-> agent -uses-> tool -authenticates with->
-- credential -reaches-> resource, every stored copy of a credential's secret,
-- and what each credential did (activity events).
--
-- Portable by design: the same tables on SQLite and PostgreSQL. Timestamps are
-- RFC 3339 UTC text ('2026-11-22T13:02:00Z'), which sorts chronologically;
-- enumerations are text with CHECK constraints; flags are 0/1 integers.

CREATE TABLE team (
    id        {{identity}},
    name      TEXT NOT NULL UNIQUE,
    parent_id BIGINT REFERENCES team (id)
);
CREATE INDEX team_parent ON team (parent_id);

CREATE TABLE person (
    id          {{identity}},
    name        TEXT NOT NULL,
    email       TEXT NOT NULL UNIQUE,
    team_id     BIGINT REFERENCES team (id),
    manager_id  BIGINT REFERENCES person (id),
    status      TEXT NOT NULL CHECK (status IN ('active', 'departed')),
    departed_at TEXT
);
CREATE INDEX person_team ON person (team_id);
CREATE INDEX person_name ON person (name);

CREATE TABLE agent (
    id             {{identity}},
    name           TEXT NOT NULL,
    category       TEXT NOT NULL CHECK (category IN ('coding_endpoint', 'self_hosted', 'cloud', 'saas')),
    platform       TEXT NOT NULL,
    environment    TEXT NOT NULL CHECK (environment IN ('prod', 'staging', 'dev')),
    sanctioned     INTEGER NOT NULL CHECK (sanctioned IN (0, 1)),
    owner_id       BIGINT REFERENCES person (id),
    deployed_by_id BIGINT REFERENCES person (id),
    first_seen     TEXT NOT NULL,
    last_seen      TEXT,
    description    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX agent_owner ON agent (owner_id);
CREATE INDEX agent_name ON agent (name);
CREATE INDEX agent_category ON agent (category, name);
CREATE INDEX agent_last_seen ON agent (last_seen);
CREATE INDEX agent_first_seen ON agent (first_seen);
CREATE INDEX agent_platform ON agent (platform, name);

CREATE TABLE tool (
    id          {{identity}},
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('mcp_server', 'function', 'plugin', 'connector')),
    description TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tool_name ON tool (name);

CREATE TABLE agent_tool (
    agent_id BIGINT NOT NULL REFERENCES agent (id),
    tool_id  BIGINT NOT NULL REFERENCES tool (id),
    PRIMARY KEY (agent_id, tool_id)
);
CREATE INDEX agent_tool_tool ON agent_tool (tool_id);

CREATE TABLE credential (
    id              {{identity}},
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('access_key', 'personal_access_token', 'api_key',
                        'service_account_key', 'oauth_grant', 'iam_role', 'workload_identity_federation',
                        'certificate', 'ssh_key')),
    provider        TEXT NOT NULL,
    external_id     TEXT NOT NULL,
    scopes          TEXT NOT NULL DEFAULT '',
    third_party     TEXT,
    created_at      TEXT NOT NULL,
    expires_at      TEXT,
    last_rotated_at TEXT,
    last_used_at    TEXT,
    status          TEXT NOT NULL CHECK (status IN ('active', 'disabled', 'revoked', 'expired')),
    owner_id        BIGINT REFERENCES person (id),
    fingerprint     TEXT NOT NULL,
    -- Which environments the credential reaches, derived from `reach` and kept
    -- with it (1 prod, 2 staging, 4 dev), so "reaches prod" needs no join.
    reach_environments INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX credential_external_id ON credential (external_id);
CREATE INDEX credential_fingerprint ON credential (fingerprint);
CREATE INDEX credential_owner ON credential (owner_id);
CREATE INDEX credential_name ON credential (name);
CREATE INDEX credential_kind ON credential (kind, status, name);
CREATE INDEX credential_provider ON credential (provider, name);
CREATE INDEX credential_status ON credential (status, name);
CREATE INDEX credential_created_at ON credential (created_at);
CREATE INDEX credential_expires_at ON credential (expires_at);
CREATE INDEX credential_last_rotated_at ON credential (last_rotated_at);
CREATE INDEX credential_last_used_at ON credential (last_used_at);
CREATE INDEX credential_reach_environments ON credential (reach_environments);

CREATE TABLE tool_credential (
    tool_id       BIGINT NOT NULL REFERENCES tool (id),
    credential_id BIGINT NOT NULL REFERENCES credential (id),
    PRIMARY KEY (tool_id, credential_id)
);
CREATE INDEX tool_credential_credential ON tool_credential (credential_id);

CREATE TABLE credential_copy (
    id            {{identity}},
    credential_id BIGINT NOT NULL REFERENCES credential (id),
    kind          TEXT NOT NULL CHECK (kind IN ('env_file', 'ci_config', 'secrets_manager', 'chat_message',
                      'repository_file', 'endpoint_disk')),
    locator       TEXT NOT NULL,
    found_by      TEXT NOT NULL,
    author_email  TEXT,
    first_seen    TEXT NOT NULL,
    last_seen     TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('present', 'removed'))
);
CREATE INDEX credential_copy_credential ON credential_copy (credential_id);
CREATE INDEX credential_copy_kind ON credential_copy (kind, status, last_seen);
CREATE INDEX credential_copy_last_seen ON credential_copy (last_seen);

CREATE TABLE resource (
    id            {{identity}},
    name          TEXT NOT NULL,
    provider      TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('database', 'bucket', 'repository', 'saas_object', 'api')),
    environment   TEXT NOT NULL CHECK (environment IN ('prod', 'staging', 'dev')),
    sensitivity   TEXT NOT NULL CHECK (sensitivity IN ('public', 'internal', 'confidential', 'restricted')),
    owner_team_id BIGINT REFERENCES team (id)
);
CREATE INDEX resource_name ON resource (name);
CREATE INDEX resource_team ON resource (owner_team_id);
CREATE INDEX resource_sensitivity ON resource (sensitivity, environment);

CREATE TABLE reach (
    credential_id BIGINT NOT NULL REFERENCES credential (id),
    resource_id   BIGINT NOT NULL REFERENCES resource (id),
    permission    TEXT NOT NULL CHECK (permission IN ('read', 'write', 'admin')),
    PRIMARY KEY (credential_id, resource_id)
);
CREATE INDEX reach_resource ON reach (resource_id);

CREATE TABLE activity_event (
    id             {{identity}},
    credential_id  BIGINT NOT NULL REFERENCES credential (id),
    occurred_at    TEXT NOT NULL,
    action         TEXT NOT NULL,
    resource_id    BIGINT REFERENCES resource (id),
    source_address TEXT,
    user_agent     TEXT,
    outcome        TEXT NOT NULL CHECK (outcome IN ('success', 'failure'))
);
CREATE INDEX activity_event_credential ON activity_event (credential_id, occurred_at);
