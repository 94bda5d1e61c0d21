-- Refresh tokens rotated out of a session, honoured until `valid_until` (the client's retry
-- grace period) and then no more.
CREATE TABLE rotated_refresh_tokens (
    refresh_token_hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    valid_until BIGINT NOT NULL
);
CREATE INDEX rotated_refresh_tokens_by_expiry ON rotated_refresh_tokens (valid_until);
