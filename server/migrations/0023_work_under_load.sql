-- Working under load and across replicas (docs/operations.md).

-- Scheduled work (server/src/schedule.rs): one row a job and period (a day,
-- an hour, a risk model's version), claimed by the replica that runs it, so
-- that several replicas on one database run each job once a period. A claim
-- is a lease: a replica that dies mid-job leaves it to another once the
-- lease ends; `done_at` marks it finished.
CREATE TABLE scheduled_run (
    job          TEXT NOT NULL,
    period       TEXT NOT NULL,
    holder       TEXT NOT NULL,
    claimed_at   TEXT NOT NULL,
    leased_until TEXT NOT NULL,
    done_at      TEXT,
    PRIMARY KEY (job, period)
);

-- Large imports (server/src/import/staged.rs) are read into `import_item`
-- first, then applied in short transactions: `staging` while read (nothing
-- of it is visible yet; an unreadable report deletes the run), `applying`
-- while joined to the inventory, then `done`. The importer beats
-- `heartbeat_at` every second; a run whose heartbeat stops is taken over by
-- a replica (`applying`: applied again from its items, which imports allow,
-- being idempotent) or deleted (`staging`: nothing was applied).
ALTER TABLE import_run ADD COLUMN state TEXT NOT NULL DEFAULT 'done'
    CHECK (state IN ('staging', 'applying', 'done'));
ALTER TABLE import_run ADD COLUMN heartbeat_at TEXT;
-- What was asked (kind, source, full, who, from where), to apply it again.
ALTER TABLE import_run ADD COLUMN request TEXT NOT NULL DEFAULT '';
-- Who applies it now (a fencing token, new at each takeover): every step
-- commits only while its importer still holds the run, so that an importer
-- taken over while alive (stalled past the takeover time) stops there.
ALTER TABLE import_run ADD COLUMN holder TEXT;
-- The counts of what its steps created so far (JSON), carried on by a takeover.
ALTER TABLE import_run ADD COLUMN progress TEXT NOT NULL DEFAULT '';
CREATE INDEX import_run_state ON import_run (state);
-- One import of a source under way at a time: two full imports of one
-- source applied together would each remove what the other found.
CREATE UNIQUE INDEX import_run_one_at_a_time ON import_run (source) WHERE state <> 'done';

-- A large import's records, as read (fingerprints, never secrets).
CREATE TABLE import_item (
    import_id BIGINT NOT NULL REFERENCES import_run (id),
    seq       BIGINT NOT NULL,
    item      TEXT NOT NULL,
    PRIMARY KEY (import_id, seq)
);
