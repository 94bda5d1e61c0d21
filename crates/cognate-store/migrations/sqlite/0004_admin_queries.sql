-- Admin Queries APIs: user management over REST for some groups of a pool.
CREATE TABLE admin_queries_apis (
    id TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX admin_queries_apis_by_pool ON admin_queries_apis (pool_id, created_at);
