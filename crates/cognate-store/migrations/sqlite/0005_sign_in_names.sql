-- Sign-in names (an email used as username, a verified alias) are unique in a pool; the partial
-- index makes a second one fail even when two requests race past the service's own check.
ALTER TABLE user_attributes ADD COLUMN sign_in BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX user_attributes_unique_sign_in_names ON user_attributes (pool_id, name, value) WHERE sign_in = 1;
