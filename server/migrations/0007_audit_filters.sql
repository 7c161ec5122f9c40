-- The Audit screen filters by actor, target and action, newest first.
CREATE INDEX audit_event_actor ON audit_event (actor, seq);
CREATE INDEX audit_event_target ON audit_event (target, seq);
CREATE INDEX audit_event_action ON audit_event (action, seq);
