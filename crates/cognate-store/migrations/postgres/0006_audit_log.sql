-- Administrative changes: who, what, when, from where. Written in the change's transaction.
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    action TEXT NOT NULL,
    pool_id TEXT COLLATE "C",
    target TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE INDEX audit_log_by_pool ON audit_log (pool_id, id);
