-- Risk scores (see docs/risk-model.md), kept on the scored rows so that lists
-- filter and sort by them through an index. `risk_factors` is a JSON array of
-- {code, reference, weight, evidence}, heaviest first; `risk_references` has
-- bit n-1 set when a factor of OWASP NHIn fired.
ALTER TABLE credential ADD COLUMN risk_score INTEGER NOT NULL DEFAULT 0;
ALTER TABLE credential ADD COLUMN risk_references INTEGER NOT NULL DEFAULT 0;
ALTER TABLE credential ADD COLUMN risk_factors TEXT NOT NULL DEFAULT '[]';
ALTER TABLE credential ADD COLUMN blast_radius INTEGER NOT NULL DEFAULT 0;
CREATE INDEX credential_risk ON credential (risk_score);

ALTER TABLE agent ADD COLUMN risk_score INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agent ADD COLUMN risk_references INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agent ADD COLUMN risk_factors TEXT NOT NULL DEFAULT '[]';
CREATE INDEX agent_risk ON agent (risk_score);

-- A full recompute writes here in bulk, then updates the scored rows from it
-- in one statement per table.
CREATE TABLE risk_staging (
    entity_kind     TEXT NOT NULL,
    entity_id       BIGINT NOT NULL,
    score           INTEGER NOT NULL,
    risk_references INTEGER NOT NULL,
    factors         TEXT NOT NULL,
    blast_radius    INTEGER NOT NULL,
    PRIMARY KEY (entity_kind, entity_id)
);
