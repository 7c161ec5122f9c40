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
