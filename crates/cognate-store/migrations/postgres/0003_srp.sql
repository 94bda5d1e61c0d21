-- SRP: each user's salt and verifier (sealed), and the SRP challenges already answered, so that
-- a SECRET_BLOCK works once.
ALTER TABLE users ADD COLUMN sealed_srp_verifier BYTEA;

CREATE TABLE consumed_challenges (
    id TEXT COLLATE "C" PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX consumed_challenges_by_expiry ON consumed_challenges (expires_at);
