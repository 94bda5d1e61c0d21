-- Failed sign-ins under names that are no user of the pool, so that with
-- PreventUserExistenceErrors an unknown name locks out as a real user does. Names are kept only
-- as keyed hashes; rows are forgotten once no lockout could still depend on them.
CREATE TABLE unknown_sign_ins (
    pool_id TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    name_hash TEXT NOT NULL,
    failed_sign_ins BIGINT NOT NULL,
    last_failed_sign_in BIGINT NOT NULL,
    PRIMARY KEY (pool_id, name_hash)
);
CREATE INDEX unknown_sign_ins_by_age ON unknown_sign_ins (last_failed_sign_in);
