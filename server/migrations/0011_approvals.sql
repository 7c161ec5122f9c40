-- Human-in-the-loop approval of sensitive agent operations (see
-- server/src/http/approvals.rs and docs/approvals.md).
--
-- The policy: rules tried in `position` order, the first match decides. An
-- empty match list (text '') matches anything; otherwise it is a
-- comma-separated set of values. When no rule matches, one approver decides
-- within an hour.
CREATE TABLE approval_rule (
    id            {{identity}},
    position      INTEGER NOT NULL,
    name          TEXT NOT NULL,
    operation     TEXT NOT NULL,
    sensitivities TEXT NOT NULL DEFAULT '',
    environments  TEXT NOT NULL DEFAULT '',
    categories    TEXT NOT NULL DEFAULT '',
    decision      TEXT NOT NULL CHECK (decision IN ('auto_approve', 'auto_deny', 'require')),
    approvals     INTEGER NOT NULL DEFAULT 1 CHECK (approvals IN (1, 2)),
    approver_role TEXT NOT NULL DEFAULT 'approver',
    expires_in    INTEGER NOT NULL DEFAULT 3600 CHECK (expires_in BETWEEN 60 AND 604800),
    updated_by    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX approval_rule_position ON approval_rule (position, id);

INSERT INTO approval_rule (position, name, operation, sensitivities, environments, categories, decision,
    approvals, approver_role, expires_in, updated_by, updated_at) VALUES
    (10, 'Coding agents on laptops never delete in production', '*delete*', '', 'prod', 'coding_endpoint',
        'auto_deny', 1, 'approver', 3600, 'muster', '2026-01-01T00:00:00Z'),
    (20, 'Deletions in production need two approvers', '*delete*', '', 'prod', '',
        'require', 2, 'approver', 3600, 'muster', '2026-01-01T00:00:00Z'),
    (30, 'Data exports need two approvers', '*export*', '', '', '',
        'require', 2, 'approver', 3600, 'muster', '2026-01-01T00:00:00Z'),
    (40, 'Restricted data needs two approvers', '*', 'restricted', '', '',
        'require', 2, 'approver', 3600, 'muster', '2026-01-01T00:00:00Z'),
    (50, 'Production deployments need an approver', 'deploy:*', '', 'prod', '',
        'require', 1, 'approver', 3600, 'muster', '2026-01-01T00:00:00Z'),
    (60, 'Reads of public data in development are approved', '*:get*', 'public', 'dev', '',
        'auto_approve', 1, 'approver', 900, 'muster', '2026-01-01T00:00:00Z');

-- One request of an agent (or a person, for a change to an agent) to do one
-- exact operation. `parameters` is the RFC 8785 canonical JSON of the
-- parameters and `parameters_hash` its SHA-256 (hex), which the signed
-- decision names. `body_hash` is the SHA-256 of the whole request body, to
-- tell a retry (same Idempotency-Key, same body) from a conflict.
CREATE TABLE approval_request (
    id                 {{identity}},
    kind               TEXT NOT NULL CHECK (kind IN ('operation', 'change')),
    agent_id           BIGINT NOT NULL REFERENCES agent (id),
    requested_by       TEXT NOT NULL,
    idempotency_key    TEXT NOT NULL,
    body_hash          TEXT NOT NULL,
    operation          TEXT NOT NULL,
    resource_name      TEXT,
    resource_id        BIGINT REFERENCES resource (id),
    credential_id      BIGINT REFERENCES credential (id),
    parameters         TEXT NOT NULL,
    parameters_hash    TEXT NOT NULL,
    justification      TEXT NOT NULL,
    callback_url       TEXT,
    rule_id            BIGINT,
    rule_name          TEXT NOT NULL,
    required_approvals INTEGER NOT NULL CHECK (required_approvals IN (0, 1, 2)),
    approver_role      TEXT NOT NULL,
    approvals          INTEGER NOT NULL DEFAULT 0,
    risk_score         INTEGER NOT NULL DEFAULT 0,
    state              TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'expired')),
    created_at         TEXT NOT NULL,
    expires_at         TEXT NOT NULL,
    decided_at         TEXT,
    consumed_at        TEXT,
    UNIQUE (requested_by, idempotency_key)
);
CREATE INDEX approval_request_state ON approval_request (state, expires_at);
CREATE INDEX approval_request_agent ON approval_request (agent_id, created_at);
CREATE INDEX approval_request_decided ON approval_request (decided_at);

-- Each person's approval or denial; one per person and request, so the two
-- approvers of a two-person rule are necessarily different people.
CREATE TABLE approval_vote (
    request_id BIGINT NOT NULL REFERENCES approval_request (id),
    approver   TEXT NOT NULL,
    verdict    TEXT NOT NULL CHECK (verdict IN ('approve', 'deny')),
    comment    TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    PRIMARY KEY (request_id, approver)
);

-- The outbox of decision callbacks: the agent's callback URL is called,
-- signed with the approvals key, when its request is decided or expires.
CREATE TABLE approval_callback (
    id              {{identity}},
    request_id      BIGINT NOT NULL REFERENCES approval_request (id),
    url             TEXT NOT NULL,
    body            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    last_status     INTEGER,
    last_error      TEXT,
    delivered_at    TEXT
);
CREATE INDEX approval_callback_due ON approval_callback (state, next_attempt_at);
