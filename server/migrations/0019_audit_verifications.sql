-- Each walk of the audit chain, so that the Audit screen shows the latest
-- instead of walking the whole log at every visit, and says who asked.
CREATE TABLE audit_verification (
    id         {{identity}},
    checked_at TEXT NOT NULL,
    checked_by TEXT NOT NULL,
    entries    BIGINT NOT NULL,
    valid      BIGINT NOT NULL,
    first_bad  BIGINT,
    tampering  TEXT,
    head_hash  TEXT NOT NULL,
    took_ms    BIGINT NOT NULL
);
