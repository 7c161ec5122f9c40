-- Imports of reports that security tools already produce (see
-- server/src/import): one row a run, with what it found and changed. A copy
-- remembers the last import that saw it, so that a later full import of the
-- same source marks the copies it no longer finds as removed.
CREATE TABLE import_run (
    id                  {{identity}},
    kind                TEXT NOT NULL,
    source              TEXT NOT NULL,
    full_import         INTEGER NOT NULL CHECK (full_import IN (0, 1)),
    started_at          TEXT NOT NULL,
    finished_at         TEXT NOT NULL,
    imported_by         TEXT NOT NULL,
    findings            BIGINT NOT NULL,
    skipped             BIGINT NOT NULL,
    credentials_created BIGINT NOT NULL,
    copies_created      BIGINT NOT NULL,
    copies_removed      BIGINT NOT NULL
);
CREATE INDEX import_run_source ON import_run (kind, source, started_at);

ALTER TABLE credential_copy ADD COLUMN import_id BIGINT;
CREATE INDEX credential_copy_found_by ON credential_copy (found_by, status);
