-- Activity from the real world (CloudTrail) and what each credential
-- normally does (see server/src/import/activity.rs and docs/imports.md).
--
-- An imported event keeps the provider's id for it, so that the same log
-- imported twice records each event once. What a credential normally uses
-- is kept rolled up (one row a credential × dimension × value, one a
-- credential × action × hour), so raw events can be pruned without losing
-- the baseline. Behaviour findings are raised once per credential, kind and
-- value (the new network, the new resource, the hour of a spike). The two
-- roll-ups are stored in their key's order (SQLite's WITHOUT ROWID, one
-- B-tree instead of a table and its key's index); PostgreSQL's are heaps.
ALTER TABLE activity_event ADD COLUMN event_id TEXT;
-- The import that recorded an event, so that its events are rolled up by hour
-- in one statement at its end (found among the ids it added).
ALTER TABLE activity_event ADD COLUMN import_id BIGINT;
CREATE UNIQUE INDEX activity_event_event_id ON activity_event (event_id);

CREATE TABLE behaviour_baseline (
    credential_id BIGINT NOT NULL REFERENCES credential (id),
    dimension     TEXT NOT NULL CHECK (dimension IN ('action', 'resource', 'network', 'user_agent')),
    value         TEXT NOT NULL,
    first_seen    TEXT NOT NULL,
    last_seen     TEXT NOT NULL,
    events        BIGINT NOT NULL,
    PRIMARY KEY (credential_id, dimension, value)
){{without rowid}};

CREATE TABLE activity_hourly (
    credential_id BIGINT NOT NULL REFERENCES credential (id),
    action        TEXT NOT NULL,
    hour          TEXT NOT NULL,
    events        BIGINT NOT NULL,
    failures      BIGINT NOT NULL,
    PRIMARY KEY (credential_id, action, hour)
){{without rowid}};

CREATE TABLE behaviour_finding (
    id            {{identity}},
    credential_id BIGINT NOT NULL REFERENCES credential (id),
    kind          TEXT NOT NULL CHECK (kind IN ('new_resource', 'new_network', 'rate_spike', 'human_use',
                      'endpoint_against_prod')),
    value         TEXT NOT NULL,
    evidence      TEXT NOT NULL,
    occurred_at   TEXT NOT NULL,
    raised_at     TEXT NOT NULL,
    import_id     BIGINT,
    UNIQUE (credential_id, kind, value)
);
CREATE INDEX behaviour_finding_time ON behaviour_finding (occurred_at);

-- The whole summary of an import as the API answered it (JSON), so that
-- the list of past imports shows what each one did, whatever its kind.
ALTER TABLE import_run ADD COLUMN summary TEXT NOT NULL DEFAULT '';

-- An IAM user's policies, as the last authorization-details import read
-- them: its scopes, and the resources they name (JSON: ARN → permission),
-- for its access keys, which the credential report names by slot only.
CREATE TABLE iam_user (
    arn       TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    scopes    TEXT NOT NULL,
    resources TEXT NOT NULL,
    import_id BIGINT
);

-- Whether a person can sign in with the identity behind a credential (an
-- IAM user with a console password, from the credential report), in words.
ALTER TABLE credential ADD COLUMN console_access TEXT;

-- Who may assume a role, from its trust policy (an IAM import), in words.
ALTER TABLE credential ADD COLUMN trusted_by TEXT;
