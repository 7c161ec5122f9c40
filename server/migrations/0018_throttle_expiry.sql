-- Throttle rows are forgotten a day after their last failure (the sign-in
-- deletes them by this index).
CREATE INDEX sign_in_throttle_blocked ON sign_in_throttle (blocked_until);
