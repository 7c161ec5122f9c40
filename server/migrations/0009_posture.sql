-- The daily posture history behind the coverage and risk trend charts: one
-- row per day and team (figures rolled up through sub-teams), and team_id 0
-- for the whole organisation. Written once a day by `muster serve` (today's
-- row is replaced until the day ends).
CREATE TABLE posture_snapshot (
    day                  TEXT NOT NULL,
    team_id              BIGINT NOT NULL,
    agents               INTEGER NOT NULL,
    agents_owned         INTEGER NOT NULL,
    credentials          INTEGER NOT NULL,
    credentials_owned    INTEGER NOT NULL,
    orphaned             INTEGER NOT NULL,
    critical             INTEGER NOT NULL,
    high                 INTEGER NOT NULL,
    PRIMARY KEY (team_id, day)
);

-- The team each agent and credential counts against for owner coverage (see
-- server/src/db/coverage.rs): its owner's team, else the team its evidence
-- points at. Derived, and kept by the server whenever ownership or lineage
-- changes, so that coverage is one indexed GROUP BY rather than a walk of
-- the lineage per request.
ALTER TABLE agent ADD COLUMN coverage_team_id BIGINT;
ALTER TABLE credential ADD COLUMN coverage_team_id BIGINT;
CREATE INDEX agent_coverage ON agent (coverage_team_id, owner_id);
CREATE INDEX credential_coverage ON credential (status, coverage_team_id, owner_id, risk_score);

-- Covering indexes for the overview's and the risk summary's counts, which
-- otherwise read every credential row (risk factors included).
CREATE INDEX credential_posture ON credential (status, risk_score, risk_references, owner_id);
CREATE INDEX credential_copy_plaintext ON credential_copy (status, kind, credential_id);
CREATE INDEX agent_posture ON agent (category, risk_score, risk_references);
