-- Access reviews (issue 28, `server/src/review/`): a campaign puts each agent
-- and credential in its scope before one reviewer (its owner; the manager of
-- its team when it has no owner or its owner left; admins when nobody else
-- can), who keeps, reduces, revokes or reassigns it. Items not decided by the
-- due date go to the reviewer's manager and count as not attested. A kept or
-- reduced item is attested: the newest such decision is its "last attested".
CREATE TABLE review_campaign (
    -- Never reused: a campaign's id is in its notifications' keys.
    id           {{identity autoincrement}},
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL CHECK (scope IN ('all', 'team', 'critical_high', 'endpoint')),
    team_id      BIGINT REFERENCES team (id),
    started_by   TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    due_at       TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('open', 'escalated', 'closed')),
    reminded_at  TEXT,
    escalated_at TEXT,
    closed_at    TEXT
);
CREATE INDEX review_campaign_due ON review_campaign (state, due_at);

CREATE TABLE review_item (
    id           {{identity autoincrement}},
    campaign_id  BIGINT NOT NULL REFERENCES review_campaign (id),
    kind         TEXT NOT NULL CHECK (kind IN ('agent', 'credential')),
    subject_id   BIGINT NOT NULL,
    -- The team the item counted for when the campaign started (progress per team).
    team_id      BIGINT,
    reviewer_id  BIGINT REFERENCES person (id),
    basis        TEXT NOT NULL CHECK (basis IN ('owner', 'manager', 'admin', 'escalated')),
    escalated_to BIGINT REFERENCES person (id),
    decision     TEXT CHECK (decision IN ('keep', 'reduce', 'revoke', 'reassign')),
    reason       TEXT,
    decided_by   TEXT,
    decided_at   TEXT,
    follow_up    TEXT,
    UNIQUE (campaign_id, kind, subject_id)
);
CREATE INDEX review_item_reviewer ON review_item (reviewer_id, campaign_id);
CREATE INDEX review_item_escalated ON review_item (escalated_to, campaign_id);
CREATE INDEX review_item_team ON review_item (campaign_id, team_id);
-- An item's last attestation: its newest kept or reduced decision.
CREATE INDEX review_item_subject ON review_item (kind, subject_id, decided_at);
