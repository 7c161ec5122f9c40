-- Repeating access reviews: a campaign started with a cadence starts its
-- next cycle at `next_start_at` (the scheduler claims it once across
-- replicas by clearing the column), with the same scope and as long to
-- decide; `follows` links a cycle to the one before. Stopping the
-- repetition clears `next_start_at` of the newest cycle.
ALTER TABLE review_campaign ADD COLUMN cadence TEXT CHECK (cadence IN ('monthly', 'quarterly', 'half_yearly', 'yearly'));
ALTER TABLE review_campaign ADD COLUMN next_start_at TEXT;
ALTER TABLE review_campaign ADD COLUMN follows BIGINT REFERENCES review_campaign (id);
CREATE INDEX review_campaign_next ON review_campaign (next_start_at);
