-- Failed sign-ins, counted per key (an account from one address, an account
-- from anywhere, an address), to slow password guessing down exponentially.
CREATE TABLE sign_in_throttle (
    key           TEXT PRIMARY KEY,
    failures      BIGINT NOT NULL,
    blocked_until TEXT NOT NULL
);
