-- The audit log: append-only and hash-chained. Each entry holds the hash of
-- the one before it; `audit_head` holds the newest entry's number and hash, so
-- that a removed tail is detected too. The application never updates or
-- deletes an entry.
CREATE TABLE audit_event (
    seq            BIGINT PRIMARY KEY,
    occurred_at    TEXT NOT NULL,
    actor_kind     TEXT NOT NULL CHECK (actor_kind IN ('person', 'agent', 'system')),
    actor          TEXT NOT NULL,
    action         TEXT NOT NULL,
    target         TEXT,
    details        TEXT NOT NULL,
    source_address TEXT,
    request_id     TEXT,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
);
CREATE INDEX audit_event_time ON audit_event (occurred_at);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
