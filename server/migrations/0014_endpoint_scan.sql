-- Endpoint discovery (`muster scan`, docs/scan.md): enrolment tokens that can
-- only submit scan reports, the scan fingerprint of each credential (an
-- oblivious PRF of its secret, so that a laptop's copy joins a scanner's
-- without the secret leaving the laptop), what a scan learnt of each agent
-- and tool it found.
ALTER TABLE credential ADD COLUMN scan_fingerprint TEXT;
CREATE INDEX credential_scan_fingerprint ON credential (scan_fingerprint);

CREATE TABLE enrolment_token (
    id           {{identity}},
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT,
    reports      BIGINT NOT NULL DEFAULT 0,
    -- Blind evaluations answered today (UTC): bounded, so that a stolen
    -- token cannot test guesses against the scan key at will.
    evaluations_day TEXT,
    evaluations  BIGINT NOT NULL DEFAULT 0
);

-- What the latest scan said of an agent it found: one row an agent.
CREATE TABLE endpoint_agent (
    agent_id     BIGINT PRIMARY KEY REFERENCES agent (id),
    host         TEXT NOT NULL,
    os           TEXT NOT NULL,
    os_user      TEXT NOT NULL,
    client       TEXT NOT NULL,
    project      TEXT,
    git_email    TEXT,
    config_files TEXT NOT NULL,
    import_id    BIGINT NOT NULL,
    scanned_at   TEXT NOT NULL,
    -- An admin's word on this agent (1 sanctioned, 0 shadow); NULL: the sanctioned list decides.
    marked       INTEGER
);
CREATE INDEX endpoint_agent_host ON endpoint_agent (host, os_user);

-- What the latest scan said of a tool it found (an MCP server).
CREATE TABLE endpoint_tool (
    tool_id     BIGINT PRIMARY KEY REFERENCES tool (id),
    transport   TEXT NOT NULL,
    command     TEXT,
    package     TEXT,
    image       TEXT,
    url_host    TEXT,
    config_file TEXT NOT NULL,
    import_id   BIGINT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('present', 'removed')),
    sanctioned  INTEGER NOT NULL DEFAULT 0,
    -- An admin's word on this server (1 sanctioned, 0 shadow); NULL: the sanctioned list decides.
    marked      INTEGER
);

-- The sanctioned list: clients, MCP packages, images and remote hosts the
-- organisation allows. What a scan finds that matches is sanctioned.
CREATE TABLE sanction_rule (
    id         {{identity}},
    kind       TEXT NOT NULL CHECK (kind IN ('client', 'package', 'image', 'url_host')),
    value      TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (kind, value)
);
