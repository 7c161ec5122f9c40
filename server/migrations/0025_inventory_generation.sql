-- The audit entries that change what the Overview and the risk summary
-- count: all but approvals' and sessions' (the Overview's one approval
-- figure is counted afresh on every request). The newest of them tells
-- whether the figures kept are still true (`aggregates.rs`); this index
-- finds it at once however many approvals came after it.
CREATE INDEX audit_event_inventory ON audit_event (seq)
    WHERE substr(action, 1, 9) <> 'approval.' AND substr(action, 1, 8) <> 'session.';
