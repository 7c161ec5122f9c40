-- Engine-specific: SQLite rebuilds the table, PostgreSQL alters a constraint.
-- A copy may be kept in an MCP client's configuration (`mcp_config`).
-- {{sqlite}}
--
-- SQLite cannot change a CHECK constraint in place, so credential_copy is
-- rebuilt as SQLite's ALTER TABLE documentation prescribes: a new table with
-- the same rows and ids, the old one dropped, the new one renamed to the old
-- name, so that the revocation checklist's references (by name) reach it.
-- Migrations run with foreign keys off and checked after (db::migrate_sqlite).
CREATE TABLE credential_copy_new (
    id            INTEGER PRIMARY KEY,
    credential_id BIGINT NOT NULL REFERENCES credential (id),
    kind          TEXT NOT NULL CHECK (kind IN ('env_file', 'ci_config', 'secrets_manager', 'chat_message',
                      'repository_file', 'endpoint_disk', 'mcp_config')),
    locator       TEXT NOT NULL,
    found_by      TEXT NOT NULL,
    author_email  TEXT,
    first_seen    TEXT NOT NULL,
    last_seen     TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('present', 'removed')),
    import_id     BIGINT
);
INSERT INTO credential_copy_new (id, credential_id, kind, locator, found_by, author_email, first_seen,
    last_seen, status, import_id)
SELECT id, credential_id, kind, locator, found_by, author_email, first_seen, last_seen, status, import_id
FROM credential_copy;
DROP TABLE credential_copy;
ALTER TABLE credential_copy_new RENAME TO credential_copy;
CREATE INDEX credential_copy_credential ON credential_copy (credential_id);
CREATE INDEX credential_copy_kind ON credential_copy (kind, status, last_seen);
CREATE INDEX credential_copy_last_seen ON credential_copy (last_seen);
CREATE INDEX credential_copy_plaintext ON credential_copy (status, kind, credential_id);
CREATE INDEX credential_copy_found_by ON credential_copy (found_by, status);
-- {{both}}
-- {{postgres}}
ALTER TABLE credential_copy DROP CONSTRAINT credential_copy_kind_check;
ALTER TABLE credential_copy ADD CONSTRAINT credential_copy_kind_check
    CHECK (kind IN ('env_file', 'ci_config', 'secrets_manager', 'chat_message',
                    'repository_file', 'endpoint_disk', 'mcp_config'));
-- {{both}}
