-- A recompute writes its scores as inline values joined to the rows by
-- their key, in steps (`db/risk.rs`), as a change's rescoring always did:
-- joined to this table, PostgreSQL scanned every credential for each step.
DROP TABLE risk_staging;
