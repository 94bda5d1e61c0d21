-- How many codes a user was sent for one purpose since `window_start` (milliseconds), so that
-- issuing codes can be limited per user and wrong guesses counted across the codes issued.
ALTER TABLE verification_codes ADD COLUMN issued_count BIGINT NOT NULL DEFAULT 1;
ALTER TABLE verification_codes ADD COLUMN window_start BIGINT NOT NULL DEFAULT 0;
