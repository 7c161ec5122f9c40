-- Repeating access reviews: a campaign started with a cadence starts its
-- next cycle at `next_start_at` (the scheduler claims it once across
-- replicas by clearing the column), with the same scope; `follows` links a
-- cycle to the one before. Cycle n of a series starts n cadences after the
-- first cycle's start (`series_start_at`) and is due n cadences after the
-- first cycle's due date (`series_due_at`): counted from the first, dates
-- never drift (31 January, 28 February, 31 March). Stopping the repetition
-- clears `next_start_at` of the newest cycle.
ALTER TABLE review_campaign ADD COLUMN cadence TEXT CHECK (cadence IN ('monthly', 'quarterly', 'half_yearly', 'yearly'));
ALTER TABLE review_campaign ADD COLUMN next_start_at TEXT;
ALTER TABLE review_campaign ADD COLUMN follows BIGINT REFERENCES review_campaign (id);
ALTER TABLE review_campaign ADD COLUMN cycle INTEGER;
ALTER TABLE review_campaign ADD COLUMN series_start_at TEXT;
ALTER TABLE review_campaign ADD COLUMN series_due_at TEXT;
CREATE INDEX review_campaign_next ON review_campaign (next_start_at);
