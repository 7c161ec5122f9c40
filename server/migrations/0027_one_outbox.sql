-- Engine-specific: ids of the two old outboxes are carried over, which each engine does its own way.
--
-- One outbox for everything Muster sends (`server/src/outbox.rs`): the
-- revocation webhook's deliveries, approval callbacks, the organisation's
-- events and the notifications they fan out to. A message is written in the
-- same transaction as the change it announces, claimed with a lease by one
-- replica, sent, and recorded: delivered, due again after a back-off, or
-- failed for good (the dead letters, which an admin may retry).
-- `dedupe_key` collapses repeats: one event per change, one message per
-- event per recipient, however many replicas or retries.
CREATE TABLE outbox (
    id              {{identity autoincrement}},
    topic           TEXT NOT NULL CHECK (topic IN ('revocation', 'callback', 'event', 'notification')),
    subject_id      BIGINT,
    message_id      TEXT,
    dedupe_key      TEXT UNIQUE,
    destination     TEXT NOT NULL,
    event           TEXT NOT NULL,
    body            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    last_attempt_at TEXT,
    last_status     INTEGER,
    last_error      TEXT,
    delivered_at    TEXT
);
CREATE INDEX outbox_due ON outbox (topic, state, next_attempt_at);
CREATE INDEX outbox_subject ON outbox (topic, subject_id);
-- The admins' view: the newest messages, of a state, of a topic.
CREATE INDEX outbox_state ON outbox (state, id);
CREATE INDEX outbox_topic ON outbox (topic, state, id);

-- Revocation deliveries keep their ids: receivers drop repeats by `msg_<id>`.
INSERT INTO outbox (id, topic, subject_id, destination, event, body, state, attempts, created_at,
        next_attempt_at, last_attempt_at, last_status, last_error, delivered_at)
    SELECT id, 'revocation', revocation_id, '', event, body, state, attempts, created_at,
        next_attempt_at, last_attempt_at, last_status, last_error, delivered_at
    FROM webhook_delivery ORDER BY id;
-- {{postgres}}
SELECT setval(pg_get_serial_sequence('outbox', 'id'), COALESCE((SELECT MAX(id) FROM outbox), 0) + 1, false);
-- {{both}}
-- Callbacks keep the `webhook-id` they were sent with.
INSERT INTO outbox (topic, subject_id, message_id, destination, event, body, state, attempts, created_at,
        next_attempt_at, last_status, last_error, delivered_at)
    SELECT 'callback', request_id, 'msg_approval_' || id, url, 'approval.decided', body, state, attempts,
        created_at, next_attempt_at, last_status, last_error, delivered_at
    FROM approval_callback ORDER BY id;
DROP TABLE webhook_delivery;
DROP TABLE approval_callback;

-- The organisation's channels: Slack and Microsoft Teams incoming webhooks
-- and signed event streams (Standard Webhooks) that admins set. `url` is
-- write-only through the API (a chat webhook's URL is its secret), `secret`
-- signs an event stream's messages. `events` lists what it hears ('' for
-- everything).
CREATE TABLE notification_channel (
    id         {{identity autoincrement}},
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('slack', 'teams', 'webhook')),
    url        TEXT NOT NULL,
    secret     TEXT,
    events     TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- What each person wants to hear, by email: every event, a daily digest,
-- or nothing. A missing row means every event.
CREATE TABLE notification_preference (
    email    TEXT NOT NULL,
    event    TEXT NOT NULL,
    delivery TEXT NOT NULL CHECK (delivery IN ('each', 'digest', 'off')),
    PRIMARY KEY (email, event)
){{without rowid}};

-- Notices held for a person's next digest.
CREATE TABLE notification_digest (
    id         {{identity autoincrement}},
    email      TEXT NOT NULL,
    event      TEXT NOT NULL,
    title      TEXT NOT NULL,
    link       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX notification_digest_email ON notification_digest (email, id);

-- A rule may name a channel its approvers watch; a request it rules on is
-- announced there too. A reminder is sent once, before a request expires.
ALTER TABLE approval_rule ADD COLUMN channel_id BIGINT REFERENCES notification_channel (id);
ALTER TABLE approval_request ADD COLUMN reminded_at TEXT;
