-- Server-wide settings as name/value pairs (webhook URL, retention, ...).
CREATE TABLE setting (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
