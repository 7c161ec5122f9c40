-- Engine-specific: substring search by an index made for it. PostgreSQL's
-- pg_trgm GIN indexes serve `ILIKE '%text%'` directly (the extension is
-- trusted since PostgreSQL 13: a database owner may create it); SQLite keeps
-- FTS5 trigram indexes instead.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX credential_name_trgm ON credential USING gin (name gin_trgm_ops);
CREATE INDEX agent_text_trgm ON agent USING gin (name gin_trgm_ops, platform gin_trgm_ops, description gin_trgm_ops);
CREATE INDEX person_text_trgm ON person USING gin (name gin_trgm_ops, email gin_trgm_ops);
CREATE INDEX resource_name_trgm ON resource USING gin (name gin_trgm_ops);
