-- {{sqlite}}
-- Engine-specific: substring search by an index made for it. SQLite keeps a
-- trigram full-text index (FTS5, external content) of the names a list's or
-- the search box's `q` looks in; PostgreSQL has pg_trgm GIN indexes instead.
-- Queries narrow by the index (`MATCH`, three characters or more) and keep
-- their `LIKE` for the exact answer, so both engines find the same rows.
-- {{both}}
-- {{postgres}}
-- Engine-specific: substring search by an index made for it. PostgreSQL's
-- pg_trgm GIN indexes serve `ILIKE '%text%'` directly (the extension is
-- trusted since PostgreSQL 13: a database owner may create it); SQLite keeps
-- FTS5 trigram indexes instead.
-- {{both}}

-- {{sqlite}}
CREATE VIRTUAL TABLE credential_text USING fts5 (name, content = 'credential', content_rowid = 'id', tokenize = 'trigram');
CREATE VIRTUAL TABLE agent_text USING fts5 (name, platform, description, content = 'agent', content_rowid = 'id', tokenize = 'trigram');
CREATE VIRTUAL TABLE person_text USING fts5 (name, email, content = 'person', content_rowid = 'id', tokenize = 'trigram');
CREATE VIRTUAL TABLE resource_text USING fts5 (name, content = 'resource', content_rowid = 'id', tokenize = 'trigram');
-- {{both}}
-- {{postgres}}
CREATE EXTENSION IF NOT EXISTS pg_trgm;
-- {{both}}

-- {{sqlite}}
INSERT INTO credential_text (credential_text) VALUES ('rebuild');
INSERT INTO agent_text (agent_text) VALUES ('rebuild');
INSERT INTO person_text (person_text) VALUES ('rebuild');
INSERT INTO resource_text (resource_text) VALUES ('rebuild');

-- An external-content index is kept by triggers; an update touches it only
-- when an indexed column is written (risk scores are written often).
CREATE TRIGGER credential_text_insert AFTER INSERT ON credential BEGIN
    INSERT INTO credential_text (rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER credential_text_delete AFTER DELETE ON credential BEGIN
    INSERT INTO credential_text (credential_text, rowid, name) VALUES ('delete', old.id, old.name);
END;
CREATE TRIGGER credential_text_update AFTER UPDATE OF name ON credential BEGIN
    INSERT INTO credential_text (credential_text, rowid, name) VALUES ('delete', old.id, old.name);
    INSERT INTO credential_text (rowid, name) VALUES (new.id, new.name);
END;

CREATE TRIGGER agent_text_insert AFTER INSERT ON agent BEGIN
    INSERT INTO agent_text (rowid, name, platform, description) VALUES (new.id, new.name, new.platform, new.description);
END;
CREATE TRIGGER agent_text_delete AFTER DELETE ON agent BEGIN
    INSERT INTO agent_text (agent_text, rowid, name, platform, description)
        VALUES ('delete', old.id, old.name, old.platform, old.description);
END;
CREATE TRIGGER agent_text_update AFTER UPDATE OF name, platform, description ON agent BEGIN
    INSERT INTO agent_text (agent_text, rowid, name, platform, description)
        VALUES ('delete', old.id, old.name, old.platform, old.description);
    INSERT INTO agent_text (rowid, name, platform, description) VALUES (new.id, new.name, new.platform, new.description);
END;

CREATE TRIGGER person_text_insert AFTER INSERT ON person BEGIN
    INSERT INTO person_text (rowid, name, email) VALUES (new.id, new.name, new.email);
END;
CREATE TRIGGER person_text_delete AFTER DELETE ON person BEGIN
    INSERT INTO person_text (person_text, rowid, name, email) VALUES ('delete', old.id, old.name, old.email);
END;
CREATE TRIGGER person_text_update AFTER UPDATE OF name, email ON person BEGIN
    INSERT INTO person_text (person_text, rowid, name, email) VALUES ('delete', old.id, old.name, old.email);
    INSERT INTO person_text (rowid, name, email) VALUES (new.id, new.name, new.email);
END;

CREATE TRIGGER resource_text_insert AFTER INSERT ON resource BEGIN
    INSERT INTO resource_text (rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER resource_text_delete AFTER DELETE ON resource BEGIN
    INSERT INTO resource_text (resource_text, rowid, name) VALUES ('delete', old.id, old.name);
END;
CREATE TRIGGER resource_text_update AFTER UPDATE OF name ON resource BEGIN
    INSERT INTO resource_text (resource_text, rowid, name) VALUES ('delete', old.id, old.name);
    INSERT INTO resource_text (rowid, name) VALUES (new.id, new.name);
END;
-- {{both}}
-- {{postgres}}
CREATE INDEX credential_name_trgm ON credential USING gin (name gin_trgm_ops);
CREATE INDEX agent_text_trgm ON agent USING gin (name gin_trgm_ops, platform gin_trgm_ops, description gin_trgm_ops);
CREATE INDEX person_text_trgm ON person USING gin (name gin_trgm_ops, email gin_trgm_ops);
CREATE INDEX resource_name_trgm ON resource USING gin (name gin_trgm_ops);
-- {{both}}
