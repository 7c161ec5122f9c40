-- Where approval callbacks may go. An agent names its callback URL; Muster
-- calls it only when an admin allowed its host (or every host under a
-- domain, `*.example.com`), for that agent or for every agent. A private
-- or local address (loopback, link-local, private ranges) is refused, after
-- DNS resolution, unless the destination says it may be one.
CREATE TABLE callback_destination (
    id            {{identity}},
    agent_id      BIGINT REFERENCES agent (id),
    host          TEXT NOT NULL,
    port          INTEGER,
    allow_private INTEGER NOT NULL DEFAULT 0 CHECK (allow_private IN (0, 1)),
    note          TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX callback_destination_agent ON callback_destination (agent_id);
