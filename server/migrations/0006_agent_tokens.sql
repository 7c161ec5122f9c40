-- API tokens of agents: shown once, stored as SHA-256 hashes, with an expiry,
-- revocable. With one, an agent can act only as itself.
CREATE TABLE agent_token (
    id         {{identity}},
    agent_id   BIGINT NOT NULL REFERENCES agent (id),
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX agent_token_agent ON agent_token (agent_id);
