-- Revocations (see server/src/http/revocations.rs): at most one per
-- credential, so that concurrent "revoke" calls cannot record two. A
-- revocation moves requested -> disabled -> revoked -> complete, or to
-- failed; it is complete when the credential is revoked and every copy of
-- its secret on the checklist is resolved.
CREATE TABLE revocation (
    id             {{identity}},
    credential_id  BIGINT NOT NULL UNIQUE REFERENCES credential (id),
    state          TEXT NOT NULL CHECK (state IN ('requested', 'disabled', 'revoked', 'complete', 'failed')),
    reason         TEXT NOT NULL,
    replacement_id BIGINT REFERENCES credential (id),
    requested_by   TEXT NOT NULL,
    requested_at   TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX revocation_state ON revocation (state, updated_at);

-- The checklist: each stored copy of the secret, pending until removed, or
-- accepted (with a reason) when it cannot be removed.
CREATE TABLE revocation_copy (
    revocation_id BIGINT NOT NULL REFERENCES revocation (id),
    copy_id       BIGINT NOT NULL REFERENCES credential_copy (id),
    state         TEXT NOT NULL CHECK (state IN ('pending', 'removed', 'accepted')),
    reason        TEXT,
    resolved_by   TEXT,
    resolved_at   TEXT,
    PRIMARY KEY (revocation_id, copy_id)
);
CREATE INDEX revocation_copy_copy ON revocation_copy (copy_id);

-- The outbox of the automation webhook: a delivery is written in the same
-- transaction as the change it announces, then sent (and retried with
-- back-off) by `muster serve`, so that none is lost to a crash or restart.
-- `body` is the exact JSON that is signed and sent.
CREATE TABLE webhook_delivery (
    id              {{identity}},
    revocation_id   BIGINT NOT NULL REFERENCES revocation (id),
    event           TEXT NOT NULL,
    body            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    last_attempt_at TEXT,
    last_status     INTEGER,
    last_error      TEXT,
    delivered_at    TEXT
);
CREATE INDEX webhook_delivery_due ON webhook_delivery (state, next_attempt_at);
CREATE INDEX webhook_delivery_revocation ON webhook_delivery (revocation_id);
