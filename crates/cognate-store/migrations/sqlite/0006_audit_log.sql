-- Administrative changes: who, what, when, from where. Written in the change's transaction.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    action TEXT NOT NULL,
    pool_id TEXT,
    target TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE INDEX audit_log_by_pool ON audit_log (pool_id, id);
